package dev.electrode.testbed.chaos;

import dev.electrode.bpf.fault.FaultRule;
import dev.electrode.testbed.ReplicaNode;
import dev.electrode.testbed.TestbedEnv;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Injects {@link Fault}s into a testbed of process replicas and undoes them: kills and restarts,
 * pauses, partitions and cuts, and packet faults through the fault layer. Every choice comes
 * from one seeded Random, so a schedule replays from its seed (the timing of the cluster it
 * meets may differ).
 */
final class Nemesis {
    private final TestbedEnv env;
    private final Random rnd;
    private final boolean durable;
    private final List<Integer> killed = new ArrayList<>();
    private final List<Integer> paused = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final long origin = System.nanoTime();

    private final Set<Fault> allowed;

    Nemesis(TestbedEnv env, long seed, boolean durable, Set<Fault> allowed) {
        this.env = env;
        this.rnd = new Random(seed);
        this.durable = durable;
        this.allowed = allowed;
    }

    /** The faults this cluster can take, of those allowed. */
    List<Fault> possible() {
        List<Fault> all = new ArrayList<>();
        for (Fault f : Fault.values()) if (allowed.contains(f)) all.add(f);
        if (!durable) all.remove(Fault.KILL_ALL);
        if (all.isEmpty()) throw new IllegalArgumentException("no fault to inject among " + allowed);
        return all;
    }

    /** A random set of one or two faults (a combination), drawn from {@link #possible}. */
    List<Fault> draw() {
        List<Fault> p = possible();
        List<Fault> chosen = new ArrayList<>(List.of(p.get(rnd.nextInt(p.size()))));
        if (rnd.nextInt(3) == 0) {
            Fault second = p.get(rnd.nextInt(p.size()));
            if (!chosen.contains(second) && !(isKill(second) && isKill(chosen.get(0)))) chosen.add(second);
        }
        return chosen;
    }

    private static boolean isKill(Fault f) { return f.name().startsWith("KILL"); }

    /** What was done, with times in ms since the nemesis started. */
    List<String> log() { return List.copyOf(log); }

    private void note(String what) {
        log.add(String.format("%7d ms  %s", (System.nanoTime() - origin) / 1_000_000, what));
    }

    /** Applies {@code f}. */
    void start(Fault f) throws InterruptedException {
        int n = env.replicaCount();
        int f1 = (n - 1) / 2;
        int leader = currentLeader();
        switch (f) {
            case KILL_LEADER -> kill(List.of(leader));
            case KILL_FOLLOWER -> kill(List.of(other(leader)));
            case KILL_MINORITY -> kill(randomSet(f1, -1));
            case KILL_ALL -> {
                note("SIGKILL every replica");
                env.killAll();
                for (int i = 0; i < n; i++) killed.add(i);
            }
            case PAUSE_LEADER -> pause(leader);
            case PAUSE_FOLLOWER -> pause(other(leader));
            case PARTITION_LEADER_MINORITY -> {
                Set<Integer> side = new HashSet<>(randomSet(rnd.nextInt(f1), leader));
                side.add(leader);
                partition(side);
            }
            case PARTITION_SPLIT -> partition(new HashSet<>(randomSet(1 + rnd.nextInt(f1), -1)));
            case ONE_WAY_CUT -> {
                int a = rnd.nextInt(n), b = (a + 1 + rnd.nextInt(n - 1)) % n;
                note("cut " + a + " -> " + b);
                env.faults().cut(a, b);
            }
            case LOSS -> packets(FaultRule.drop(), 0.05 + 0.25 * rnd.nextDouble(), "lose");
            case DUPLICATE -> packets(FaultRule.duplicate(), 0.05 + 0.25 * rnd.nextDouble(), "duplicate");
            case CORRUPT -> packets(FaultRule.corrupt(), 0.02 + 0.1 * rnd.nextDouble(), "corrupt");
            case DELAY_REORDER -> {
                Duration d = Duration.ofMillis(1 + rnd.nextInt(10)), jitter = Duration.ofMillis(1 + rnd.nextInt(10));
                note("delay every frame " + d.toMillis() + " ms + up to " + jitter.toMillis() + " ms");
                env.faults().delay(FaultRule.delay(), d, jitter, rnd.nextLong());
            }
        }
    }

    /** Undoes every fault: rules and links healed, paused replicas resumed, killed ones restarted. */
    void heal() throws InterruptedException {
        env.faults().heal();
        for (int i : paused) ((ReplicaNode.Process) env.replica(i)).resume();
        if (!paused.isEmpty()) note("SIGCONT " + paused);
        paused.clear();
        if (!killed.isEmpty()) {
            note("restart " + killed);
            for (int i : killed) env.replica(i).restart();
        }
        killed.clear();
        note("healed");
    }

    private void kill(List<Integer> victims) throws InterruptedException {
        note("SIGKILL " + victims);
        for (int i : victims) {
            if (paused.remove(Integer.valueOf(i))) ((ReplicaNode.Process) env.replica(i)).resume();
            env.replica(i).kill();
            killed.add(i);
        }
    }

    private void pause(int i) {
        if (killed.contains(i) || paused.contains(i)) return;
        note("SIGSTOP " + i);
        ((ReplicaNode.Process) env.replica(i)).pause();
        paused.add(i);
    }

    /** Splits the replicas; the client reaches both sides, so a deposed leader still gets requests. */
    private void partition(Set<Integer> side) {
        note("partition replicas " + side + " from the other replicas (the client reaches all)");
        env.faults().splitReplicas(side, env.replicaCount());
    }

    private void packets(FaultRule rule, double p, String what) {
        note(what + " " + Math.round(p * 100) + "% of all frames");
        env.faults().add(rule.probability(p, rnd.nextLong()));
    }

    /** {@code k} distinct replicas, never {@code except}. */
    private List<Integer> randomSet(int k, int except) {
        List<Integer> pool = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) if (i != except) pool.add(i);
        java.util.Collections.shuffle(pool, rnd);
        return new ArrayList<>(pool.subList(0, Math.min(k, pool.size())));
    }

    private int other(int leader) {
        int n = env.replicaCount();
        return (leader + 1 + rnd.nextInt(n - 1)) % n;
    }

    /** The replica that last said it leads, in the highest view; replica 0 if none says so. */
    private int currentLeader() {
        int best = 0;
        long bestView = -1;
        for (int i = 0; i < env.replicaCount(); i++) {
            if (!(env.replica(i) instanceof ReplicaNode.Process p)) continue;
            ReplicaNode.Process.StatusLine st = p.lastStatus();
            if (st != null && st.status().equals("NORMAL") && st.leader() == i && st.view() > bestView) {
                best = i;
                bestView = st.view();
            }
        }
        return best;
    }
}
