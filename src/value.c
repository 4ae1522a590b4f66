/* value: implementation pending. */
