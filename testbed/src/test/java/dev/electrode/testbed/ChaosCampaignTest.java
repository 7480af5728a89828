package dev.electrode.testbed;

import dev.electrode.testbed.chaos.Campaign;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A short fault campaign on every change: n = 3 and 5, offloads off and all on, each run with
 * a fresh seed (printed, with the command that replays it), its history checked for
 * linearizability. {@code -Delectrode.chaos.seed=S} fixes the campaign's seed.
 */
class ChaosCampaignTest {
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void aShortCampaignFindsEveryHistoryLinearizable() {
        dev.electrode.netns.RootRequired.assumeRoot();
        String seed = System.getProperty("electrode.chaos.seed", Long.toString(System.currentTimeMillis()));
        int exit = new CommandLine(new Campaign()).execute("--replicas", "3,5", "--modes", "plain,all", "--every-combination",
                "--run-seconds", "12", "--seed", seed);
        assertEquals(0, exit, "the campaign (seed " + seed + ") found a violation: see its output and failure bundles under target/testbed/chaos");
    }

    @Test
    void badOptionsAreRefused() {
        for (String[] args : List.of(new String[] {"--modes", "bogus"}, new String[] {"--replicas", "4"}, new String[] {"--minutes", "0"}))
            assertEquals(2, new CommandLine(new Campaign()).execute(args), String.join(" ", args));
    }
}
