/* spec: implementation pending. */
