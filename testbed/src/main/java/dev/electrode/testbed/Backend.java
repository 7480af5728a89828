package dev.electrode.testbed;

import java.util.Locale;

/** What the testbed's hosts are made of. */
public enum Backend {
    /** A network namespace per host, joined by veths to a bridge in a switch namespace. */
    NAMESPACES,
    /** A container per host on a Docker network; replicas run as JVMs in containers that share the host's namespace. */
    CONTAINERS;

    /** System property that moves every test class onto one backend: {@code -Delectrode.testbed.backend=containers}. */
    public static final String PROPERTY = "electrode.testbed.backend";

    /** The backend a test class asked for, unless {@link #PROPERTY} names one. */
    static Backend chosen(Backend asked) {
        String p = System.getProperty(PROPERTY, "").strip();
        if (p.isEmpty()) return asked;
        try {
            return valueOf(p.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new TestbedException("-D" + PROPERTY + "=" + p + ": expected namespaces or containers");
        }
    }
}
