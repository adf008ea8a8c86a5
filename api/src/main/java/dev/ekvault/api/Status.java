package dev.ekvault.api;

/** A one-word answer: {@code /healthz} ({@code ok}), {@code /readyz} ({@code ready}), a declined invitation ({@code declined}). */
public record Status(String status) {}
