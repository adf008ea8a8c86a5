package dev.ekvault.server.access;

import java.util.Locale;

/** A member's fixed role in a workspace. Role says what; {@link Scope} says where. */
public enum Role {
    /** Full control. */
    ADMIN(Permission.READ_WRITE),
    /** Reads and writes secrets; reads workspace, teams and projects. */
    DEVELOPER(Permission.READ_WRITE),
    /** Reads workspace, teams, projects and secrets. */
    MEMBER(Permission.READ);

    /** The most a credential of this member can be allowed. */
    public final Permission ceiling;

    Role(Permission ceiling) {
        this.ceiling = ceiling;
    }

    /** True when this role grants nothing the other does not (admin ⊇ developer ⊇ member; declared widest first). */
    public boolean within(Role other) {
        return ordinal() >= other.ordinal();
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role fromWire(String text) {
        for (Role role : values()) if (role.wire().equals(text)) return role;
        throw new IllegalArgumentException("unknown role");
    }
}
