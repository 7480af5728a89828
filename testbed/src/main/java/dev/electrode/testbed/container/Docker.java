package dev.electrode.testbed.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import dev.electrode.testbed.TestbedException;
import org.junit.jupiter.api.Assertions;
import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Docker engine as the container backend uses it: availability (a clear skip, or a failure
 * under CI=true), the labels on everything this project creates, and the sweep of what a
 * crashed run left behind. Nothing may be pulled (no registry is assumed): Testcontainers' Ryuk
 * and start-up checks are off, so the owner's process id in a label is what tells leftovers
 * from another live run's containers.
 */
public final class Docker {
    /** Label on every container and network the project creates; its value is the creating JVM's pid. */
    public static final String OWNER_LABEL = "dev.electrode.owner-pid";
    private static final String RYUK_DISABLED = "TESTCONTAINERS_RYUK_DISABLED";
    private static final String HOST_OVERRIDE = "TESTCONTAINERS_HOST_OVERRIDE";
    private static final String CHECKS_DISABLE = "TESTCONTAINERS_CHECKS_DISABLE";

    private Docker() {}

    /** The labels for something this JVM creates. */
    public static Map<String, String> labels() {
        return Map.of(OWNER_LABEL, Long.toString(ProcessHandle.current().pid()));
    }

    /** The engine's client; fails (CI=true) or aborts the test with the reason when no engine answers. */
    public static DockerClient requireEngine() {
        String why = null;
        if (!"true".equalsIgnoreCase(System.getenv(RYUK_DISABLED)))
            why = "set " + RYUK_DISABLED + "=true: Testcontainers would pull its Ryuk image, and this project removes its containers itself";
        else if (!"true".equalsIgnoreCase(System.getenv(CHECKS_DISABLE)))
            why = "set " + CHECKS_DISABLE + "=true: Testcontainers' start-up checks pull alpine";
        else if (java.nio.file.Files.exists(java.nio.file.Path.of("/.dockerenv")) && System.getenv(HOST_OVERRIDE) == null)
            why = "set " + HOST_OVERRIDE + "=localhost: this JVM runs in a container, and Testcontainers would pull alpine to find its gateway";
        else if (!DockerClientFactory.instance().isDockerAvailable())
            why = "no Docker engine answers (bash ci/docker-engine.sh installs and starts one)";
        if (why == null) return DockerClientFactory.instance().client();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) Assertions.fail("CI=true but the container backend cannot run: " + why);
        throw new TestAbortedException("container backend: " + why);
    }

    /** True if the engine has image {@code name} locally. */
    static boolean hasImage(DockerClient docker, String name) {
        try {
            docker.inspectImageCmd(name).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** Removes containers and networks of this project whose creating process is gone; returns what it removed. */
    public static List<String> sweepLeftovers(DockerClient docker) {
        List<String> removed = new ArrayList<>();
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(OWNER_LABEL)).exec()) {
            if (ownerAlive(c.getLabels())) continue;
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                removed.add("container " + c.getId().substring(0, 12));
            } catch (NotFoundException e) {
                // removed meanwhile
            }
        }
        for (Network n : docker.listNetworksCmd().withFilter("label", List.of(OWNER_LABEL)).exec()) {
            if (ownerAlive(n.getLabels())) continue;
            try {
                docker.removeNetworkCmd(n.getId()).exec();
                removed.add("network " + n.getName());
            } catch (NotFoundException e) {
                // removed meanwhile
            }
        }
        return removed;
    }

    /** Containers and networks this JVM created that still exist (for the teardown check). */
    public static List<String> ownedByThisJvm(DockerClient docker) {
        String me = Long.toString(ProcessHandle.current().pid());
        List<String> out = new ArrayList<>();
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(OWNER_LABEL, me)).exec())
            out.add("container " + c.getId().substring(0, 12) + " " + String.join(",", c.getNames()));
        for (Network n : docker.listNetworksCmd().withFilter("label", List.of(OWNER_LABEL + "=" + me)).exec())
            out.add("network " + n.getName());
        return out;
    }

    private static boolean ownerAlive(Map<String, String> labels) {
        try {
            long pid = Long.parseLong(labels.getOrDefault(OWNER_LABEL, ""));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Wraps an engine failure with what was being done. */
    static TestbedException failure(String doing, RuntimeException e) {
        return new TestbedException(doing + ": " + e.getMessage(), e);
    }
}
