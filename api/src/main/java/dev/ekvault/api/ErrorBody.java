package dev.ekvault.api;

/** The body of every error response. Clients act on the status code; the message is for people. */
public record ErrorBody(String message) {}
