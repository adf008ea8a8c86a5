package dev.ekvault.server.http;

/** What a handler answers when 200 with a JSON body is not what it means; a null body sends no body. */
public record Reply(int status, Object body) {
    public static Reply created(Object body) {
        return new Reply(201, body);
    }

    public static Reply noContent() {
        return new Reply(204, null);
    }
}
