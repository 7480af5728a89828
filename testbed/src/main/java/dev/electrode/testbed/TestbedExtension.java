package dev.electrode.testbed;

import dev.electrode.netns.Commands;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.extension.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The JUnit 5 side of {@link Testbed}: builds, injects and tears down a {@link TestbedEnv}. */
public final class TestbedExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        ParameterResolver, TestExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TestbedExtension.class);
    private static final String KEY = "env";

    private static Testbed spec(ExtensionContext ctx) {
        Testbed t = ctx.getRequiredTestClass().getAnnotation(Testbed.class);
        if (t == null) throw new ExtensionConfigurationException("TestbedExtension needs @Testbed on " + ctx.getRequiredTestClass());
        return t;
    }

    private static void requireRoot() {
        boolean root = "0".equals(Commands.run(List.of("id", "-u")).strip());
        if (root) return;
        String why = "the testbed needs root (network namespaces, eBPF): run the suite as root, e.g. sudo bash ci/test.sh";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) Assertions.fail("CI=true but " + why);
        throw new org.opentest4j.TestAbortedException(why);
    }

    private static TestbedEnv create(ExtensionContext ctx, String method) {
        requireRoot();
        Path dir = Path.of("target", "testbed", ctx.getRequiredTestClass().getSimpleName(), method);
        return new TestbedEnv(TestbedSpec.of(spec(ctx)), dir);
    }

    @Override
    public void beforeAll(ExtensionContext ctx) {
        if (spec(ctx).scope() == Testbed.Scope.PER_CLASS) ctx.getStore(NS).put(KEY, create(ctx, "all"));
    }

    @Override
    public void beforeEach(ExtensionContext ctx) {
        if (spec(ctx).scope() == Testbed.Scope.PER_TEST) ctx.getStore(NS).put(KEY, create(ctx, ctx.getRequiredTestMethod().getName()));
    }

    @Override
    public void afterEach(ExtensionContext ctx) {
        if (spec(ctx).scope() == Testbed.Scope.PER_TEST) tearDown(ctx);
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        if (spec(ctx).scope() == Testbed.Scope.PER_CLASS) tearDown(ctx);
    }

    private static void tearDown(ExtensionContext ctx) {
        TestbedEnv env = ctx.getStore(NS).remove(KEY, TestbedEnv.class);
        if (env == null) return;
        boolean failed = ctx.getExecutionException().isPresent();
        List<String> errors = env.unexpectedErrors(); // read while the replicas still run
        List<String> leaked = env.close(failed || spec(ctx).keepCaptures() || !errors.isEmpty());
        if (!leaked.isEmpty()) throw new AssertionError("testbed teardown left namespaces, containers or networks behind: " + leaked);
        if (!failed && !errors.isEmpty())
            throw new AssertionError("the test passed, but replicas reported errors it did not expect (env.allowErrors):\n  "
                    + String.join("\n  ", errors));
    }

    private static TestbedEnv find(ExtensionContext ctx) {
        for (ExtensionContext c = ctx; c != null; c = c.getParent().orElse(null)) {
            TestbedEnv env = c.getStore(NS).get(KEY, TestbedEnv.class);
            if (env != null) return env;
        }
        return null;
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        return p.getParameter().getType() == TestbedEnv.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        TestbedEnv env = find(ctx);
        if (env == null) throw new ParameterResolutionException("no testbed for " + ctx.getDisplayName());
        return env;
    }

    /** Adds the kept capture files and logs to the failure, so the report says where to look. */
    @Override
    public void handleTestExecutionException(ExtensionContext ctx, Throwable t) throws Throwable {
        TestbedEnv env = find(ctx);
        if (env != null) {
            try {
                Path bundle = FailureBundle.write(env, ctx.getRequiredTestClass().getSimpleName() + "#" + ctx.getRequiredTestMethod().getName(), t);
                t.addSuppressed(new TestbedArtifacts("failure bundle: " + bundle.toAbsolutePath()));
            } catch (IOException | RuntimeException e) {
                t.addSuppressed(e);
            }
            t.addSuppressed(new TestbedArtifacts("testbed files kept for this failure:\n" + env.describeFiles()));
        }
        throw t;
    }

    /** Carries the artifact list in a failure report. */
    static final class TestbedArtifacts extends Exception {
        TestbedArtifacts(String message) { super(message, null, false, false); }
    }
}
