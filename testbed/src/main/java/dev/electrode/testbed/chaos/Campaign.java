package dev.electrode.testbed.chaos;

import dev.electrode.bpf.Offload;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * A fault campaign: random runs (cluster size, offload mode, fault schedule, all from one seed)
 * until the time is up, one line per run, a summary, and a failure bundle per failed run.
 * Exit code 0 if every history was linearizable, 1 otherwise.
 */
@Command(name = "electrode-chaos", mixinStandardHelpOptions = true,
        description = "Random fault schedules against replica processes in namespaces, each history checked for linearizability.")
public final class Campaign implements Callable<Integer> {
    /** The modes: which offloads a cluster runs with. */
    static final Map<String, List<Offload>> MODES = dev.electrode.testbed.OffloadModes.MODES;

    @Option(names = "--minutes", defaultValue = "5", description = "how long to run (default: ${DEFAULT-VALUE})")
    double minutes;

    @Option(names = "--seed", description = "the campaign's seed (default: from the clock, printed)")
    Long seed;

    @Option(names = "--replicas", split = ",", defaultValue = "3,5", description = "cluster sizes to draw from (default: ${DEFAULT-VALUE})")
    List<Integer> replicas;

    @Option(names = "--modes", split = ",", defaultValue = "plain,broadcast,fast-ack,quorum-prune,all",
            description = "offload modes to draw from (default: ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--run-seconds", defaultValue = "20", description = "faults injected per run (default: ${DEFAULT-VALUE})")
    int runSeconds;

    @Option(names = "--runs", defaultValue = "0", description = "stop after this many runs (0: only the time limit)")
    int maxRuns;

    @Option(names = "--every-combination", description = "run each (cluster size, mode) once, in order, instead of drawing")
    boolean everyCombination;

    @Option(names = "--faults", split = ",", description = "only these faults (default: all of ${COMPLETION-CANDIDATES})")
    List<Fault> faults;

    @Option(names = "--replay", description = "run the one run with this seed (as a failure bundle's README says)")
    Long replay;

    @Option(names = "--backend", defaultValue = "namespaces",
            description = "hosts as network namespaces or as containers on a Docker network (default: ${DEFAULT-VALUE})")
    String backendName;

    @Option(names = "--out", defaultValue = "target/testbed/chaos", description = "where runs and failure bundles go (default: ${DEFAULT-VALUE})")
    Path out;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Campaign()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String badMode = dev.electrode.testbed.OffloadModes.unknown(modes);
        if (badMode != null) throw new CommandLine.ParameterException(spec.commandLine(), badMode);
        for (int n : replicas) if (n < 3 || n % 2 == 0 || n > 7) throw new CommandLine.ParameterException(spec.commandLine(),
                "--replicas values must be 3, 5 or 7, got " + n);
        if (minutes <= 0 || runSeconds < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--minutes and --run-seconds must be positive");
        dev.electrode.testbed.Backend backend;
        try {
            backend = dev.electrode.testbed.Backend.valueOf(backendName.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--backend " + backendName + ": expected namespaces or containers");
        }
        java.util.Set<Fault> allowed = faults == null || faults.isEmpty() ? java.util.EnumSet.allOf(Fault.class) : java.util.EnumSet.copyOf(faults);
        if (replay != null) {
            ChaosRun.Outcome o = ChaosRun.run(new ChaosRun.Config(replicas.get(0), modes.get(0), MODES.get(modes.get(0)), replay,
                    Duration.ofSeconds(runSeconds), allowed, backend), out);
            System.out.println(o.line());
            return o.passed() ? 0 : 1;
        }
        long campaignSeed = seed != null ? seed : System.currentTimeMillis();
        System.out.println("chaos campaign: seed " + campaignSeed + ", " + minutes + " min, replicas " + replicas + ", modes " + modes
                + ", faults for " + runSeconds + " s per run, hosts as " + backendName + (allowed.size() == Fault.values().length ? "" : ", only " + allowed));
        Random rnd = new Random(campaignSeed);
        long deadline = System.nanoTime() + (long) (minutes * 60e9);
        List<ChaosRun.Outcome> outcomes = new ArrayList<>();
        List<int[]> combos = new ArrayList<>();
        for (int n : replicas) for (int m = 0; m < modes.size(); m++) combos.add(new int[] {n, m});
        while (System.nanoTime() < deadline && (maxRuns == 0 || outcomes.size() < maxRuns)) {
            int i = outcomes.size();
            if (everyCombination && i >= combos.size()) break;
            int[] combo = everyCombination ? combos.get(i) : combos.get(rnd.nextInt(combos.size()));
            String mode = modes.get(combo[1]);
            ChaosRun.Config c = new ChaosRun.Config(combo[0], mode, MODES.get(mode), rnd.nextLong(), Duration.ofSeconds(runSeconds), allowed, backend);
            ChaosRun.Outcome o = ChaosRun.run(c, out);
            System.out.println("run " + (i + 1) + ": " + o.line());
            outcomes.add(o);
        }
        Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
        long ops = 0, indeterminate = 0;
        int failed = 0;
        for (ChaosRun.Outcome o : outcomes) {
            o.faults().forEach((f, k) -> faults.merge(f, k, Integer::sum));
            ops += o.operations();
            indeterminate += o.indeterminate();
            if (!o.passed()) failed++;
        }
        System.out.printf("%nchaos campaign (seed %d): %d runs, %d operations (%d indeterminate), %d faults injected %s, %d violations%n",
                campaignSeed, outcomes.size(), ops, indeterminate, faults.values().stream().mapToInt(Integer::intValue).sum(), faults, failed);
        for (ChaosRun.Outcome o : outcomes) if (!o.passed()) System.out.println("  FAILED " + o.line() + "\n    replay: " + o.config().replay());
        return failed == 0 ? 0 : 1;
    }
}
