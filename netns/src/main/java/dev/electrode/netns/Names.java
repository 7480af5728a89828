package dev.electrode.netns;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names of everything this project creates: {@code elx<pid>-<label>}, so a later run can
 * tell its own leftovers (the creating process is gone) from another live run's objects.
 */
public final class Names {
    /** Prefix of every namespace the project creates. */
    public static final String PREFIX = "elx";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private Names() {}

    /** A fresh namespace name for {@code label}, unique within this process. */
    public static String namespace(String label) {
        return PREFIX + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet() + "-" + label;
    }

    /** Deletes namespaces of this project whose creating process is no longer alive; returns their names. */
    public static List<String> sweepLeftovers() {
        List<String> removed = new ArrayList<>();
        for (String line : Commands.ip("netns", "list").split("\n")) {
            String ns = line.strip().split("\\s+")[0];
            if (!ns.startsWith(PREFIX)) continue;
            int dash = ns.indexOf('-');
            if (dash <= PREFIX.length()) continue;
            long pid;
            try {
                pid = Long.parseLong(ns.substring(PREFIX.length(), dash));
            } catch (NumberFormatException e) {
                continue;
            }
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
            try {
                Commands.ip("netns", "del", ns);
                removed.add(ns);
            } catch (NetnsException e) {
                // another sweeper may have won the race; what matters is that it is gone
            }
        }
        return removed;
    }
}
