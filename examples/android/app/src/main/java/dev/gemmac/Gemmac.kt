package dev.gemmac

import java.io.Closeable

/**
 * A Gemma 3 model compiled by gemmac, with one session: the Kotlin face of
 * [GemmacNative]. Calls block while the model runs, so make them off the main
 * thread; one generation runs at a time, and [close] waits for it.
 * Failures throw [GemmacException].
 */
class Gemmac private constructor(private val native: GemmacNative) : Closeable {

    /** How the next token is chosen; the defaults are greedy. */
    data class Sampling(
        val temperature: Float = 0f,
        val topK: Int = 0,
        val topP: Float = 1f,
        val seed: Long = 0,
    )

    /** The compiled forward pass the model runs, or "portable". */
    val executor: String get() = native.executor()

    /**
     * Generates from [prompt] in a fresh context, calling [onPiece] with the
     * text of each token as it comes (whole characters; may be ""). [onPiece]
     * returns false to stop; an exception it throws stops generation and
     * propagates. With [chat], the prompt is a user turn of Gemma's chat template.
     */
    fun stream(
        prompt: String,
        maxNewTokens: Int = 128,
        chat: Boolean = true,
        sampling: Sampling = Sampling(),
        onPiece: (String) -> Boolean,
    ) {
        native.generate(
            prompt, chat, maxNewTokens,
            sampling.temperature, sampling.topK, sampling.topP, sampling.seed,
        ) { _, piece -> onPiece(piece) }
    }

    /** The text [stream] would produce, at once. */
    fun generate(
        prompt: String,
        maxNewTokens: Int = 128,
        chat: Boolean = true,
        sampling: Sampling = Sampling(),
    ): String = buildString {
        stream(prompt, maxNewTokens, chat, sampling) { append(it); true }
    }

    /** Frees the model; closing again does nothing, any other call then throws. */
    override fun close() = native.close()

    companion object {
        /**
         * Loads a .gmf file. [maxContext] bounds prompt plus generated tokens and
         * sizes the KV cache (0: the model's full context, a large allocation);
         * [threads] 0 uses one per core.
         */
        fun load(path: String, maxContext: Int = 2048, threads: Int = 0): Gemmac =
            Gemmac(GemmacNative(path, maxContext, threads))
    }
}
