package dev.electrode.testbed;

import dev.electrode.netns.Commands;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Finds kernel objects a testbed left behind. */
public final class LeakCheck {
    private LeakCheck() {}

    /** The namespaces among {@code names} that still exist. */
    public static List<String> surviving(List<String> names) {
        Set<String> present = Arrays.stream(Commands.ip("netns", "list").split("\n"))
                .map(l -> l.strip().split("\\s+")[0]).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        List<String> left = new ArrayList<>();
        for (String n : names) if (present.contains(n)) left.add(n);
        return left;
    }

    /** Fails if any of {@code names} still exists. */
    public static void assertGone(List<String> names) {
        List<String> left = surviving(names);
        if (!left.isEmpty()) throw new AssertionError("testbed teardown leaked network namespaces: " + left);
    }
}
