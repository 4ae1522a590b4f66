/* template: implementation pending. */
