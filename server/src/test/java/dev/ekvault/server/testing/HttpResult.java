package dev.ekvault.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.UncheckedIOException;
import java.net.http.HttpHeaders;

/** A response as a test reads it. */
public record HttpResult(int status, String body, HttpHeaders headers) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public JsonNode json() {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    public String message() {
        return json().path("message").asText();
    }

    @Override
    public String toString() {
        return status + " " + body;
    }
}
