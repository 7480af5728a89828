package dev.electrode.testbed.bench;

import dev.electrode.client.LoadGenerator;
import dev.electrode.testbed.TestbedEnv;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Unrecorded load through a new testbed until the JIT compilers of every JVM in it (each
 * replica process, and this one, which runs the client) have gone quiet. A replica process is
 * pinned whole to its host's CPUs, so its compiler competes with its own event loop (and a
 * follower's with the client): measured before it settles, a cell charges compilation to the
 * protocol. The load cycles through every client count to be measured, since each count takes
 * other branches (and a profile learnt at one deoptimises at another).
 */
final class JitSettling {
    /** Compiler CPU a JVM may use over a whole cycle, as a share of one CPU, and still count as quiet. */
    static final double QUIET_SHARE = 0.01;
    /** Load per client count in a cycle. */
    static final Duration STEP = Duration.ofSeconds(2);
    /** The shortest step, for warm-ups shorter than one cycle of full steps. */
    static final Duration MIN_STEP = Duration.ofMillis(250);

    /**
     * How the warm-up ended: after {@code took}, quiet or not (the maximum reached), with each JVM's
     * compiler milliseconds in the last cycle (replicas by index, then this JVM; -1 for replicas in this JVM).
     */
    record Outcome(Duration took, boolean quiet, long[] lastCycleMillis, Duration lastCycle) {
        String summary() {
            List<String> jvms = new ArrayList<>();
            for (int i = 0; i < lastCycleMillis.length; i++) {
                if (lastCycleMillis[i] < 0) continue;
                jvms.add(jvmName(i, lastCycleMillis.length) + " " + lastCycleMillis[i] + " ms");
            }
            return String.format(Locale.ROOT, "JVM warm-up: %.0f s, %s (compiler CPU in the last %.0f s: %s)", took.toMillis() / 1000.0,
                    quiet ? "compilers quiet" : "compilers NOT quiet at the maximum", lastCycle.toMillis() / 1000.0, String.join(", ", jvms));
        }
    }

    private JitSettling() {}

    /**
     * Runs closed-loop load cycling through {@code clientCounts} for at least {@code min}, then until a
     * whole cycle in which every JVM's compiler used at most {@link #QUIET_SHARE} of a CPU, or {@code max}.
     * {@code readings} runs before and after each step's load, as the measurement's readings do: a
     * replica's report is code the load never runs, and compiled first inside a measured window it
     * charged hundreds of milliseconds of JIT to the leader's CPU.
     */
    static Outcome run(TestbedEnv env, List<Integer> clientCounts, int valueSize, Duration min, Duration max, Runnable readings)
            throws InterruptedException {
        long start = System.nanoTime();
        // Shorter steps when the whole warm-up may not last one cycle of full steps (quick runs, tests).
        Duration step = STEP.multipliedBy(clientCounts.size()).compareTo(max) <= 0 ? STEP
                : Duration.ofMillis(Math.max(MIN_STEP.toMillis(), max.toMillis() / clientCounts.size()));
        while (true) {
            long cycleStart = System.nanoTime();
            long[] before = compilerNanos(env);
            for (int c : clientCounts) {
                readings.run();
                LoadGenerator.run(env.client(), c, Duration.ZERO, step, valueSize, 1000);
                readings.run();
            }
            long[] after = compilerNanos(env);
            long now = System.nanoTime(), cycle = now - cycleStart;
            long[] millis = new long[after.length];
            boolean quiet = true;
            for (int i = 0; i < after.length; i++) {
                millis[i] = after[i] < 0 ? -1 : delta(before[i], after[i]) / 1_000_000;
                if (after[i] >= 0 && delta(before[i], after[i]) > QUIET_SHARE * cycle) quiet = false;
            }
            Duration took = Duration.ofNanos(now - start);
            if ((quiet && took.compareTo(min) >= 0) || took.compareTo(max) >= 0)
                return new Outcome(took, quiet, millis, Duration.ofNanos(cycle));
        }
    }

    /** Compiler CPU so far of each replica's JVM (-1 for replicas in this JVM), then of this JVM. */
    static long[] compilerNanos(TestbedEnv env) {
        int n = env.replicaCount();
        long[] c = new long[n + 1];
        for (int i = 0; i < n; i++) c[i] = env.compilerCpuNanos(i);
        c[n] = TestbedEnv.ownCompilerCpuNanos();
        return c;
    }

    /**
     * The JVMs whose compiler used more than {@link #QUIET_SHARE} of a CPU between two {@link #compilerNanos}
     * readings {@code seconds} apart, with their milliseconds ("" if none).
     */
    static String busy(long[] before, long[] after, double seconds) {
        List<String> busy = new ArrayList<>();
        for (int i = 0; i < after.length; i++) {
            if (after[i] < 0 || delta(before[i], after[i]) <= QUIET_SHARE * seconds * 1e9) continue;
            busy.add(jvmName(i, after.length) + " " + delta(before[i], after[i]) / 1_000_000 + " ms");
        }
        return String.join(", ", busy);
    }

    /** The JVM at index {@code i} of a {@link #compilerNanos} reading of {@code count} entries: a replica, or last this one (the client). */
    private static String jvmName(int i, int count) { return i == count - 1 ? "client" : "replica " + i; }

    /** Compiler CPU of every JVM between two {@link #compilerNanos} readings, in nanoseconds. */
    static long totalBetween(long[] before, long[] after) {
        long sum = 0;
        for (int i = 0; i < after.length; i++) if (after[i] >= 0) sum += delta(before[i], after[i]);
        return sum;
    }

    // A compiler thread the JVM retired took its time with it: never count less than nothing.
    private static long delta(long before, long after) { return Math.max(0, after - before); }
}
