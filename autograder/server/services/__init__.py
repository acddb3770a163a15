"""The service's logic, apart from HTTP: each module takes a database session (or the session
factory) and plain values, and raises `errors.ServiceError`s that the routes turn into answers."""
