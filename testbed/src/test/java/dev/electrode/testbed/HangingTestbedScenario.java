package dev.electrode.testbed;

import org.junit.jupiter.api.Test;

/**
 * Not run by Surefire (no Test suffix): KillJvmSweepTest runs it in a child JVM, which it
 * then kills with SIGKILL while the testbed is up.
 */
@Testbed(replicas = 1)
class HangingTestbedScenario {
    @Test
    void holdTheTestbed(TestbedEnv env) throws InterruptedException {
        System.out.println("TESTBED READY " + String.join(" ", env.namespaces()));
        System.out.flush();
        Thread.sleep(300_000);
    }

    /** Runs this scenario through the JUnit Platform launcher. */
    public static void main(String[] args) {
        var request = org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request()
                .selectors(org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(HangingTestbedScenario.class)).build();
        org.junit.platform.launcher.core.LauncherFactory.create().execute(request);
    }
}
