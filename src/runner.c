/* runner: implementation pending. */
