package dev.electrode.cli;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** One KV operation from the command line. */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = "Run one operation: put KEY VALUE | get KEY | delete KEY | cas KEY EXPECTED|- NEW")
final class ClientCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--unlogged", paramLabel = "REPLICA", description = "send a get outside the log to this replica (may be stale)")
    Integer unloggedReplica;

    @Option(names = "--timeout-ms", defaultValue = "10000", description = "give up after this long (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Parameters(arity = "2..4", paramLabel = "OP ARGS")
    List<String> words;

    @Override
    public Integer call() throws Exception {
        ClusterConfig cfg = config.load(spec.commandLine());
        ByteString op = operation();
        try (VrClient client = VrClient.connect(cfg, ClientOptions.DEFAULT.withDeadline(Duration.ofMillis(timeoutMs)))) {
            ByteString reply;
            try {
                if (unloggedReplica != null) {
                    if (!words.get(0).equals("get")) throw new CommandLine.ParameterException(spec.commandLine(), "--unlogged only reads: use get");
                    if (unloggedReplica < 0 || unloggedReplica >= cfg.size())
                        throw new CommandLine.ParameterException(spec.commandLine(), "--unlogged " + unloggedReplica + " is not a replica index");
                    reply = client.invokeUnlogged(unloggedReplica, op).get();
                } else {
                    reply = client.newSession().invoke(op).get();
                }
            } catch (ExecutionException e) {
                System.err.println("error: " + e.getCause().getMessage());
                return 2;
            }
            KvResult r = KvOps.result(reply);
            System.out.println(r.getStatus() + (r.getHadValue() ? " " + r.getValue().toStringUtf8() : "")
                    + (r.getError().isEmpty() ? "" : " (" + r.getError() + ")"));
            return r.getStatus() == KvResult.Status.OK ? 0 : 1;
        }
    }

    private ByteString operation() {
        String verb = words.get(0);
        int need = switch (verb) {
            case "put" -> 3;
            case "get", "delete" -> 2;
            case "cas" -> 4;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "unknown operation '" + verb + "' (put, get, delete, cas)");
        };
        if (words.size() != need)
            throw new CommandLine.ParameterException(spec.commandLine(), verb + " takes " + (need - 1) + " argument(s), got " + (words.size() - 1));
        ByteString key = ByteString.copyFromUtf8(words.get(1));
        return switch (verb) {
            case "put" -> KvOps.put(key, ByteString.copyFromUtf8(words.get(2)));
            case "get" -> KvOps.get(key);
            case "delete" -> KvOps.delete(key);
            default -> KvOps.cas(key, words.get(2).equals("-") ? null : ByteString.copyFromUtf8(words.get(2)), ByteString.copyFromUtf8(words.get(3)));
        };
    }
}
