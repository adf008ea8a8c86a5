package dev.ekvault.server.http;

/** A response body sent as it is (a dashboard page or script), with its content type and the browser security headers. */
public record RawBody(String contentType, byte[] bytes) {}
