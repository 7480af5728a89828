package dev.electrode.testbed.container;

import com.github.dockerjava.api.DockerClient;
import dev.electrode.testbed.TestbedException;

/**
 * The image replicas run in: Debian 12 with a JRE 17 and libbpf1, built once per machine by
 * {@code bash ci/container-image.sh} (no registry needed). The project's code is not in it: the
 * classpath of the JVM that starts the containers is mounted read-only.
 */
public final class BaseImage {
    /** System property naming another image (it needs java 17+ on the PATH and libbpf.so.1). */
    public static final String PROPERTY = "electrode.container.image";
    /** The tag ci/container-image.sh gives its latest build. */
    public static final String DEFAULT = "electrode-base:latest";

    private BaseImage() {}

    /** The image name, checked to exist on the engine. */
    public static String require(DockerClient docker) {
        String name = System.getProperty(PROPERTY, DEFAULT);
        if (!Docker.hasImage(docker, name))
            throw new TestbedException("image " + name + " is not on this Docker engine: build it once with bash ci/container-image.sh"
                    + " (or name another with -D" + PROPERTY + "=IMAGE: java 17+ and libbpf1 inside)");
        return name;
    }
}
