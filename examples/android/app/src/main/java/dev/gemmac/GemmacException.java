package dev.gemmac;

/** A failed gemmac call: the runtime's status code and message (see gemmac/gemmac.h). */
public final class GemmacException extends RuntimeException {
  // The codes of gemmac_status_code.
  public static final int INVALID_ARGUMENT = 1;
  public static final int NOT_FOUND = 2;
  public static final int DATA_LOSS = 3;
  public static final int UNIMPLEMENTED = 4;
  public static final int OUT_OF_RANGE = 5;
  public static final int RESOURCE_EXHAUSTED = 6;
  public static final int INTERNAL = 7;
  public static final int CANCELLED = 8;

  private final int code;

  /** Called by gemmac_jni.c. */
  public GemmacException(int code, String message) {
    super(message);
    this.code = code;
  }

  /** One of the codes above. */
  public int code() {
    return code;
  }
}
