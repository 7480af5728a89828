package dev.electrode.testbed;

import java.util.Locale;

/** The replication protocol a testbed cluster runs: VR ({@code VrReplica}) or Raft ({@code RaftReplica}). */
public enum ReplicationProtocol {
    VR("VR"),
    RAFT("Raft");

    private final String label;

    ReplicationProtocol(String label) { this.label = label; }

    /** The name tables print. */
    public String label() { return label; }

    /** The protocol a command-line word names ("vr" or "raft"). */
    public static ReplicationProtocol parse(String word) {
        for (ReplicationProtocol p : values()) if (p.name().equalsIgnoreCase(word.strip())) return p;
        throw new IllegalArgumentException("unknown protocol '" + word + "' (vr, raft)");
    }

    /** The command-line word. */
    public String word() { return name().toLowerCase(Locale.ROOT); }
}
