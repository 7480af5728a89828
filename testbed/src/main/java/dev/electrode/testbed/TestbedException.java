package dev.electrode.testbed;

/** The testbed could not build, run or tear down what a test asked for. */
public final class TestbedException extends RuntimeException {
    public TestbedException(String message) { super(message); }

    public TestbedException(String message, Throwable cause) { super(message, cause); }
}
