package dev.electrode.testbed.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a benchmark ran on: kernel, CPU model, cores, JDK. */
final class MachineInfo {
    private MachineInfo() {}

    static String json() {
        String kernel = read("/proc/sys/kernel/osrelease").strip();
        String cpu = "unknown";
        for (String line : read("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                cpu = line.substring(line.indexOf(':') + 1).strip();
                break;
            }
        }
        return String.format("{\"kernel\": \"%s\", \"cpu\": \"%s\", \"cores\": %d, \"jdk\": \"%s %s\"}", esc(kernel), esc(cpu),
                Runtime.getRuntime().availableProcessors(), esc(System.getProperty("java.vm.name")), esc(System.getProperty("java.version")));
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException e) {
            return "";
        }
    }

    private static String esc(String s) { return s.replace("\\", "\\\\").replace("\"", "\\\""); }
}
