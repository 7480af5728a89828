package dev.electrode.testbed.container;

import com.github.dockerjava.api.DockerClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What a crashed run left on the engine (its owner process is gone) is removed; a live owner's containers stay. */
class DockerLeftoversTest {
    @Test
    void sweepsContainersAndNetworksOfDeadOwnersOnly() throws Exception {
        DockerClient docker = Docker.requireEngine();
        String image = BaseImage.require(docker);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Map<String, String> dead = Map.of(Docker.OWNER_LABEL, Long.toString(gone.pid()));
        String net = docker.createNetworkCmd().withName("elx-leftover-test-" + gone.pid()).withLabels(dead).exec().getId();
        String left = docker.createContainerCmd(image).withCmd("sleep", "infinity").withLabels(dead).exec().getId();
        docker.startContainerCmd(left).exec();
        String mine = docker.createContainerCmd(image).withCmd("sleep", "infinity").withLabels(Docker.labels()).exec().getId();
        try {
            List<String> removed = Docker.sweepLeftovers(docker);
            assertTrue(removed.contains("container " + left.substring(0, 12)), "removed: " + removed);
            assertTrue(removed.stream().anyMatch(r -> r.startsWith("network elx-leftover-test-")), "removed: " + removed);
            assertTrue(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(left)).exec().isEmpty(), "the leftover is gone");
            assertTrue(docker.listNetworksCmd().withIdFilter(net).exec().isEmpty(), "the leftover network is gone");
            assertFalse(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(mine)).exec().isEmpty(),
                    "a live owner's container stays");
            assertEquals(1, Docker.ownedByThisJvm(docker).size(), "this JVM's own container is listed as its own");
        } finally {
            docker.removeContainerCmd(mine).withForce(true).exec();
        }
        assertEquals(List.of(), Docker.ownedByThisJvm(docker));
    }
}
