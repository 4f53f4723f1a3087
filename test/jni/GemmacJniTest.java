import dev.gemmac.GemmacException;
import dev.gemmac.GemmacNative;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Host test of the Android JNI bridge (examples/android: GemmacNative.java and
 * gemmac_jni.c): generation through JNI gives the C API's token ids and
 * streamed bytes, and every misuse is a Java exception, never a crash.
 *
 * <p>Usage: GemmacJniTest MODEL.gmf REFERENCE_TOOL, where REFERENCE_TOOL is
 * generate_reference.c built against the same runtime. Exits 1 on a failure.
 */
public final class GemmacJniTest {
  private static final int MAX_CONTEXT = 256;
  private static final int THREADS = 2;
  private static final int MAX_NEW_TOKENS = 12;
  // Characters of 1, 2, 3 and 4 UTF-8 bytes: a wrong conversion changes the prompt's ids.
  private static final String PROMPT = "Caf\u00e9 \u4e2d\u6587 \ud83d\ude00 The capital of France is";

  private static int failures = 0;

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok: " : "FAIL: ") + what);
    if (!ok) failures++;
  }

  /** Runs `action`, which should throw a `type`; returns what it threw, or null. */
  private static <T extends Throwable> T expectThrows(Class<T> type, Runnable action, String what) {
    try {
      action.run();
    } catch (Throwable thrown) {
      check(type.isInstance(thrown), what + " throws " + type.getSimpleName() + " (got " + thrown + ")");
      return type.isInstance(thrown) ? type.cast(thrown) : null;
    }
    check(false, what + " throws " + type.getSimpleName() + " (returned normally)");
    return null;
  }

  /** "id hex-of-piece", the reference tool's line for one token. */
  private static String token(int id, String piece) {
    StringBuilder line = new StringBuilder().append(id).append(' ');
    for (byte b : piece.getBytes(StandardCharsets.UTF_8)) line.append(String.format("%02x", b & 0xff));
    return line.toString();
  }

  /** The tokens the C API generates from PROMPT, greedily, in the bridge's settings. */
  private static List<String> reference(String tool, String model, int maxNewTokens, boolean chat)
      throws Exception {
    Process process = new ProcessBuilder(tool, model, "" + MAX_CONTEXT, "" + THREADS, "" + maxNewTokens,
        chat ? "1" : "0").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(PROMPT.getBytes(StandardCharsets.UTF_8));
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) throw new AssertionError(tool + " failed");
    return output.isEmpty() ? List.of() : Arrays.asList(output.split("\n"));
  }

  private static int[] idsOf(List<String> tokens) {
    return tokens.stream().mapToInt(line -> Integer.parseInt(line.substring(0, line.indexOf(' ')))).toArray();
  }

  private static void testGeneration(GemmacNative gemmac, String model, String tool) throws Exception {
    System.out.println("executor: " + gemmac.executor());

    List<String> expected = reference(tool, model, MAX_NEW_TOKENS, false);
    check(!expected.isEmpty(), "the C API generates tokens (" + expected.size() + ")");
    List<String> streamed = new ArrayList<>();
    int[] ids = gemmac.generate(PROMPT, false, MAX_NEW_TOKENS, 0f, 0, 1f, 0L, (id, piece) -> {
      streamed.add(token(id, piece));
      return true;
    });
    check(streamed.equals(expected), "streamed ids and UTF-8 pieces equal the C API's: " + streamed);
    check(Arrays.equals(ids, idsOf(expected)), "generate returns the streamed ids");
    check(Arrays.equals(gemmac.generate(PROMPT, false, MAX_NEW_TOKENS, 0f, 0, 1f, 0L, null), ids),
        "without a callback, and starting over, generate returns the same ids");

    List<String> chat = reference(tool, model, 6, true);
    check(Arrays.equals(gemmac.generate(PROMPT, true, 6, 0f, 0, 1f, 0L, null), idsOf(chat)),
        "a chat prompt gives the C API's ids");

    int[] calls = {0};
    int[] stopped = gemmac.generate(PROMPT, false, MAX_NEW_TOKENS, 0f, 0, 1f, 0L, (id, piece) -> {
      calls[0]++;
      return false;
    });
    check(calls[0] == 1 && stopped.length == 1 && stopped[0] == ids[0],
        "a callback returning false stops after its token");

    RuntimeException boom = new RuntimeException("boom");
    calls[0] = 0;
    RuntimeException thrown = expectThrows(RuntimeException.class,
        () -> gemmac.generate(PROMPT, false, MAX_NEW_TOKENS, 0f, 0, 1f, 0L, (id, piece) -> {
          calls[0]++;
          throw boom;
        }), "a throwing callback");
    check(thrown == boom && calls[0] == 1, "the callback's own exception stops generation at once");

    expectThrows(IllegalStateException.class,
        () -> gemmac.generate(PROMPT, false, MAX_NEW_TOKENS, 0f, 0, 1f, 0L, (id, piece) -> {
          gemmac.close();
          return true;
        }), "close from a token callback");
    check(Arrays.equals(gemmac.generate(PROMPT, false, MAX_NEW_TOKENS, 0f, 0, 1f, 0L, null), ids),
        "the model still generates after a refused close");

    NullPointerException npe = expectThrows(NullPointerException.class,
        () -> gemmac.generate(null, false, 4, 0f, 0, 1f, 0L, null), "a null prompt");
    check(npe != null && npe.getMessage().contains("prompt"), "the NullPointerException names the prompt");
    expectThrows(IllegalArgumentException.class,
        () -> gemmac.generate("a\0b", false, 4, 0f, 0, 1f, 0L, null), "a prompt holding U+0000");
    GemmacException negative = expectThrows(GemmacException.class,
        () -> gemmac.generate(PROMPT, false, -1, 0f, 0, 1f, 0L, null), "max_new_tokens -1");
    check(negative != null && negative.code() == GemmacException.INVALID_ARGUMENT,
        "a bad argument has code INVALID_ARGUMENT: " + (negative == null ? null : negative.getMessage()));
  }

  private static void testClose(String model) {
    GemmacNative gemmac = new GemmacNative(model, MAX_CONTEXT, THREADS);
    gemmac.close();
    gemmac.close();
    check(true, "close twice");
    expectThrows(IllegalStateException.class,
        () -> gemmac.generate(PROMPT, false, 4, 0f, 0, 1f, 0L, null), "generate after close");
    expectThrows(IllegalStateException.class, gemmac::executor, "executor after close");
  }

  private static void testLoadErrors(String model) {
    // Non-ASCII in the path: the message carries it back through both conversions.
    String missing = "/nonexistent-gemmac-dir/model-\u00e9\ud83d\ude00.gmf";
    GemmacException notFound = expectThrows(GemmacException.class,
        () -> new GemmacNative(missing, MAX_CONTEXT, THREADS), "loading a missing file");
    check(notFound != null && notFound.code() == GemmacException.NOT_FOUND
            && notFound.getMessage().contains(missing),
        "the missing file is NOT_FOUND with its path: " + (notFound == null ? null : notFound.getMessage()));
    expectThrows(NullPointerException.class, () -> new GemmacNative(null, MAX_CONTEXT, THREADS),
        "a null model path");
    // The model loads, the session does not: the bridge frees the model and throws.
    GemmacException badContext = expectThrows(GemmacException.class,
        () -> new GemmacNative(model, -1, THREADS), "max_context -1");
    check(badContext != null && badContext.code() == GemmacException.INVALID_ARGUMENT,
        "a bad session option has code INVALID_ARGUMENT");
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: GemmacJniTest MODEL.gmf REFERENCE_TOOL");
      System.exit(2);
    }
    String model = args[0];
    try (GemmacNative gemmac = new GemmacNative(model, MAX_CONTEXT, THREADS)) {
      testGeneration(gemmac, model, args[1]);
    }
    testClose(model);
    testLoadErrors(model);
    System.out.println(failures == 0 ? "PASSED" : failures + " FAILED");
    System.exit(failures == 0 ? 0 : 1);
  }
}
