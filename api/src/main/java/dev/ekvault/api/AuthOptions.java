package dev.ekvault.api;

/**
 * {@code GET /v1/auth/options} (public): what the sign-in page offers. {@code firstRun}: no workspace exists yet, the
 * first sign-up creates it; {@code openSignUp}: anyone may sign up afterwards ({@code people.open-sign-up}).
 */
public record AuthOptions(boolean firstRun, boolean openSignUp, Sso sso) {
    /** Single sign-on: on or off, the label of its button, and where the browser goes to start it. */
    public record Sso(boolean enabled, @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String label,
                      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String startUrl) {}
}
