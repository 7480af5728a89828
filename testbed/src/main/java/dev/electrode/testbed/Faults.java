package dev.electrode.testbed;

import dev.electrode.bpf.fault.FaultInjector;
import dev.electrode.bpf.fault.FaultRule;
import dev.electrode.netns.Links;
import dev.electrode.netns.Topology;
import dev.electrode.netns.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reversible faults on a star topology: rules of the eBPF fault layer on the bridge ports
 * (loss, duplication, corruption, by host, message type, view and opnum), partitions built
 * from drop rules, and links taken down. {@link #heal()} undoes everything.
 */
public final class Faults implements AutoCloseable {
    private final Topology topology;
    private final FaultInjector injector;
    private final List<Integer> downLinks = new ArrayList<>();
    private DelayLine delayLine;
    private final List<String> netemPorts = new ArrayList<>();

    Faults(Topology topology) {
        this.topology = topology;
        this.injector = FaultInjector.load();
        try {
            topology.switchNamespace().run(() -> {
                for (Topology.Host h : topology.hosts()) injector.attachPort(h.switchPort(), h.index(), h.mac());
            });
        } catch (RuntimeException e) {
            injector.close();
            throw e;
        }
    }

    /** Installs a rule; returns its slot (for {@link #remove} and {@link #stats}). */
    public int add(FaultRule rule) { return injector.add(rule); }

    public void remove(int slot) { injector.remove(slot); }

    public FaultInjector.Stats stats(int slot) { return injector.stats(slot); }

    /**
     * Delays the frames {@code rule} matches (its action must be DELAY) by {@code delay} plus a
     * uniformly random jitter of up to {@code jitter}, which reorders them. All delay rules
     * share one delay line: the last call sets its delay and jitter.
     */
    public int delay(FaultRule rule, java.time.Duration delay, java.time.Duration jitter, long seed) {
        if (rule.action() != FaultRule.Action.DELAY) throw new IllegalArgumentException("not a delay rule: " + rule);
        if (delayLine != null) delayLine.close();
        var sw = topology.switchNamespace();
        delayLine = new DelayLine(sw, topology.bridge(), delay.toNanos() / 1000, jitter.toNanos() / 1000, seed);
        injector.setDelayTarget(delayLine.inputIfindex(sw));
        return add(rule);
    }

    /**
     * Delays everything host {@code h} receives with netem (delay plus jitter), where the kernel
     * has sch_netem; throws a TestbedException naming the missing feature where it has not
     * (then use {@link #delay} rules). Removed by {@link #heal()}.
     */
    public void netemDelay(int h, java.time.Duration delay, java.time.Duration jitter) {
        String port = topology.host(h).switchPort();
        try {
            dev.electrode.netns.Commands.run(List.of("tc", "-n", topology.switchNamespace().name(), "qdisc", "add", "dev", port,
                    "root", "netem", "delay", delay.toMillis() + "ms", jitter.toMillis() + "ms"));
            netemPorts.add(port);
        } catch (dev.electrode.netns.NetnsException e) {
            throw new TestbedException("netem is not available in this kernel (sch_netem missing): " + e.getMessage()
                    + "; use Faults.delay(FaultRule.delay()...) instead", e);
        }
    }

    /** Frames that went through the delay line so far. */
    public long delayed() { return delayLine == null ? 0 : delayLine.delayed(); }

    /** Drops everything from {@code from} to {@code to} (one direction). */
    public int cut(int from, int to) { return add(FaultRule.drop().from(from).to(to)); }

    /** Drops every frame between the hosts of {@code group} and all other hosts, both ways. */
    public void partition(Set<Integer> group) {
        int[] in = group.stream().mapToInt(Integer::intValue).toArray();
        int[] out = topology.hosts().stream().mapToInt(Topology.Host::index).filter(i -> !group.contains(i)).toArray();
        if (in.length == 0 || out.length == 0) return;
        add(FaultRule.drop().from(in).to(out));
        add(FaultRule.drop().from(out).to(in));
    }

    /**
     * Drops every frame between the replicas of {@code side} and the other replicas (hosts
     * 0..{@code replicas}-1), both ways; clients still reach every replica, so a replica that
     * still thinks it leads keeps receiving requests (as clients bound to each side would).
     */
    public void splitReplicas(Set<Integer> side, int replicas) {
        int[] in = side.stream().mapToInt(Integer::intValue).toArray();
        int[] out = java.util.stream.IntStream.range(0, replicas).filter(i -> !side.contains(i)).toArray();
        if (in.length == 0 || out.length == 0) return;
        add(FaultRule.drop().from(in).to(out));
        add(FaultRule.drop().from(out).to(in));
    }

    /** Cuts host {@code h} off from everyone. */
    public void isolate(int h) { partition(Set.of(h)); }

    /** Takes host {@code h}'s link down (its bridge port). */
    public void linkDown(int h) {
        Links.down(topology.switchNamespace(), topology.host(h).switchPort());
        downLinks.add(h);
    }

    public void linkUp(int h) {
        Links.up(topology.switchNamespace(), topology.host(h).switchPort());
        downLinks.remove(Integer.valueOf(h));
    }

    /** Removes every rule and brings every link back up. */
    public void heal() {
        injector.clear();
        injector.setDelayTarget(0);
        if (delayLine != null) {
            delayLine.close();
            delayLine = null;
        }
        for (int h : List.copyOf(downLinks)) linkUp(h);
        for (String port : netemPorts)
            dev.electrode.netns.Commands.run(List.of("tc", "-n", topology.switchNamespace().name(), "qdisc", "del", "dev", port, "root"));
        netemPorts.clear();
    }

    @Override
    public void close() {
        if (delayLine != null) delayLine.close();
        injector.close();
    }
}
