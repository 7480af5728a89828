package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.Offload;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** A testbed test that fails leaves a failure bundle: replica states, BPF counters and control state, decoded frames, how to rerun. */
class FailureBundleTest {
    /** Fails on purpose after some traffic; run only through the launcher below (surefire skips nested classes). */
    @Testbed(replicas = 3, viewChangeMs = 3000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
    static class FailsOnPurpose {
        @Test
        void failsAfterTraffic(TestbedEnv env) throws Exception {
            for (int i = 0; i < 5; i++) env.client().newSession().invokeSync(KvOps.put("k" + i, "v"));
            fail("on purpose");
        }
    }

    @Test
    void aFailedTestbedTestLeavesABundle() throws Exception {
        dev.electrode.netns.RootRequired.assumeRoot();
        Path dir = Path.of("target", "testbed", "FailsOnPurpose", "failsAfterTraffic");
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(FailsOnPurpose.class)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        assertEquals(1, summary.getSummary().getTotalFailureCount());
        Throwable t = summary.getSummary().getFailures().get(0).getException();
        assertTrue(List.of(t.getSuppressed()).stream().anyMatch(s -> s.getMessage().startsWith("failure bundle: ")), "the report names the bundle");
        Path bundle = dir.resolve("failure");
        String readme = Files.readString(bundle.resolve("README.txt"));
        assertTrue(readme.contains("on purpose") && readme.contains("-Dtest='FailsOnPurpose#failsAfterTraffic'"), readme);
        List<String> replicas = Files.readAllLines(bundle.resolve("replicas.txt"));
        assertEquals(3, replicas.size(), replicas.toString());
        for (int i = 0; i < 3; i++)
            assertTrue(replicas.get(i).matches("replica " + i + ": .*status=NORMAL view=\\d+ commit=5 lastOp=5 .*errors=\\{}.*"), replicas.get(i));
        String bpf = Files.readString(bundle.resolve("bpf.txt"));
        assertTrue(bpf.contains("replica 1: counters {") && bpf.contains("FAST_ACKED=") && bpf.contains("replica 2: control ControlState["), bpf);
        try (Stream<Path> s = Files.list(bundle)) {
            List<Path> frames = s.filter(p -> p.getFileName().toString().startsWith("frames-")).toList();
            assertFalse(frames.isEmpty(), "decoded frame tables");
            assertTrue(frames.stream().anyMatch(p -> {
                try {
                    return Files.readString(p).contains("PREPARE");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }), "some capture holds the PREPAREs");
        }
    }
}
