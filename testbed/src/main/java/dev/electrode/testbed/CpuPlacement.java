package dev.electrode.testbed;

import dev.electrode.netns.cpu.CpuSet;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Which CPUs each emulated host owns: replica 0 (the leader of view 0), the other replicas,
 * and the client; {@code perReplica} (may be empty) gives replica i its own set instead. With
 * a placement the testbed pins each replica's and the client's event loop to its host's CPUs
 * and turns on threaded NAPI on each host's interface, pinned there too, so that a host's
 * kernel receive work (its XDP program and UDP stack) runs on its own CPUs rather than in
 * softirq on the sender's ({@code threadedNapi} false: event loops pinned, receive work left
 * in softirq on the sender's CPU, as the reference prototype was measured).
 */
public record CpuPlacement(CpuSet leader, CpuSet followers, CpuSet client, List<CpuSet> perReplica, boolean threadedNapi) {
    public CpuPlacement {
        perReplica = List.copyOf(perReplica);
        leader.requireOnline();
        followers.requireOnline();
        client.requireOnline();
        perReplica.forEach(CpuSet::requireOnline);
    }

    /** Role-based placement: the leader, the followers (sharing), the client. */
    public CpuPlacement(CpuSet leader, CpuSet followers, CpuSet client) {
        this(leader, followers, client, List.of(), true);
    }

    /** As given, with threaded NAPI. */
    public CpuPlacement(CpuSet leader, CpuSet followers, CpuSet client, List<CpuSet> perReplica) {
        this(leader, followers, client, perReplica, true);
    }

    /** This placement without threaded NAPI: only the event loops are pinned. */
    public CpuPlacement withoutThreadedNapi() {
        return new CpuPlacement(leader, followers, client, perReplica, false);
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

    /** This placement with replica i on {@code sets.get(i)}; replicas beyond the list keep their role's set. */
    public CpuPlacement withPerReplica(List<CpuSet> sets) {
        return new CpuPlacement(leader, followers, client, sets, threadedNapi);
    }

    /** The CPUs of replica {@code i}. */
    public CpuSet replica(int i) {
        if (i < perReplica.size()) return perReplica.get(i);
        return i == 0 ? leader : followers;
    }

    /** The CPUs of host {@code host} in a testbed of {@code replicas} replicas (host {@code replicas} is the client). */
    public CpuSet of(int host, int replicas) {
        return host == replicas ? client : replica(host);
    }

    @Override public String toString() {
        String s = "leader " + leader + ", followers " + followers + ", client " + client + (threadedNapi ? "" : ", no threaded NAPI");
        return perReplica.isEmpty() ? s
                : s + ", replicas " + perReplica.stream().map(CpuSet::toString).collect(Collectors.joining("/"));
    }
}
