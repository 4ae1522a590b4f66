/* lock: implementation pending. */
