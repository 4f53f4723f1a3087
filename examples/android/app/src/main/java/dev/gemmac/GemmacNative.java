package dev.gemmac;

/**
 * The native methods of the gemmac JNI bridge (gemmac_jni.c): one model and one
 * session over it. Plain Java, so that the app (through the Kotlin class
 * {@link Gemmac}) and the host test (test/jni) share one declaration of each.
 *
 * <p>Failed runtime calls throw {@link GemmacException}; any call after
 * {@link #close} throws {@link IllegalStateException}. The methods are
 * synchronized: a session runs one generation at a time, and close must wait
 * for a running one rather than free the session under it.
 */
public final class GemmacNative implements AutoCloseable {
  static {
    System.loadLibrary("gemmac_jni");
  }

  /** Receives the generated tokens one at a time, on the generating thread. */
  public interface TokenCallback {
    /**
     * @param id the token id, or -1 for a last call that carries only text held
     *     back at the end (an unfinished character)
     * @param piece the text the token adds: whole characters only, so "" while
     *     a multi-byte character is incomplete
     * @return true to go on generating, false to stop. An exception stops
     *     generation too, and generate rethrows it.
     */
    boolean onToken(int id, String piece);
  }

  /** The native model and session; 0 once closed. Only gemmac_jni.c uses it. */
  private long handle;

  /**
   * Loads a .gmf model and opens a session on it.
   *
   * @param maxContext tokens the session holds; 0: the model's (large: its KV cache is sized for it)
   * @param numThreads 0: one per core
   */
  public GemmacNative(String modelPath, int maxContext, int numThreads) {
    handle = open(modelPath, maxContext, numThreads);
  }

  private static native long open(String modelPath, int maxContext, int numThreads);

  /**
   * Generates from {@code prompt} in a fresh context (each call starts over).
   *
   * @param chat wrap the prompt in a Gemma user turn
   * @param temperature 0 or less: greedy
   * @param topK 0: no limit
   * @param topP 1: no limit
   * @param seed the same seed gives the same tokens
   * @param callback may be null
   * @return the generated token ids, without the stop token
   */
  public synchronized native int[] generate(String prompt, boolean chat, int maxNewTokens,
      float temperature, int topK, float topP, long seed, TokenCallback callback);

  /** The path of the compiled forward pass the session runs, or "portable". */
  public synchronized native String executor();

  /** Frees the model and session. Closing again does nothing. */
  @Override
  public synchronized native void close();
}
