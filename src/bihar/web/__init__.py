"""HTTP plumbing shared by the service: request ids, logging of requests, error answers."""
