package dev.electrode.bpf;

import java.util.Set;

/** The three offloads, each switched on or off at run time by a bit of the enable mask. */
public enum Offload {
    BROADCAST(1), FAST_ACK(2), QUORUM_PRUNE(4);

    private final int bit;

    Offload(int bit) { this.bit = bit; }

    public int bit() { return bit; }

    /** The enable mask for a set of offloads. */
    public static int mask(Set<Offload> set) {
        int m = 0;
        for (Offload o : set) m |= o.bit;
        return m;
    }
}
