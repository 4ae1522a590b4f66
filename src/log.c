/* log: implementation pending. */
