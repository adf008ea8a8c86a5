package dev.ekvault.server.access;

/** What a credential may do inside its scope. */
public enum Permission {
    READ("read"),
    READ_WRITE("read-write");

    public final String wire;

    Permission(String wire) {
        this.wire = wire;
    }

    public boolean allowsWrite() {
        return this == READ_WRITE;
    }

    /** The weaker of two permissions: what a credential gets when its creator's role allows less. */
    public Permission and(Permission other) {
        return this == READ || other == READ ? READ : READ_WRITE;
    }

    public static Permission fromWire(String text) {
        for (Permission p : values()) if (p.wire.equals(text)) return p;
        return null;
    }
}
