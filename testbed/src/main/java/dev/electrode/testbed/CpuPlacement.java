package dev.electrode.testbed;

import dev.electrode.netns.cpu.CpuSet;

/**
 * Which CPUs each emulated host owns: replica 0 (the leader of view 0), the other replicas,
 * and the client. With a placement the testbed pins each replica's and the client's event
 * loop to its host's CPUs and turns on threaded NAPI on each host's interface, pinned there
 * too, so that a host's kernel receive work (its XDP program and UDP stack) runs on its own
 * CPUs rather than in softirq on the sender's.
 */
public record CpuPlacement(CpuSet leader, CpuSet followers, CpuSet client) {
    public CpuPlacement {
        leader.requireOnline();
        followers.requireOnline();
        client.requireOnline();
    }

    /**
     * The leader alone on CPU 0, followers and client on the others (on two CPUs: the leader on
     * one, everything else on the other, as the reference prototype was measured).
     */
    public static CpuPlacement defaults() {
        CpuSet online = CpuSet.online();
        if (online.size() == 1) return new CpuPlacement(online, online, online);
        int first = online.first();
        CpuSet rest = CpuSet.parse((first + 1) + "-" + online.last());
        return new CpuPlacement(CpuSet.parse(Integer.toString(first)), rest, CpuSet.parse(Integer.toString(online.last())));
    }

    /** The CPUs of host {@code host} in a testbed of {@code replicas} replicas (host {@code replicas} is the client). */
    public CpuSet of(int host, int replicas) {
        if (host == replicas) return client;
        return host == 0 ? leader : followers;
    }

    @Override public String toString() {
        return "leader " + leader + ", followers " + followers + ", client " + client;
    }
}
