/* store: implementation pending. */
