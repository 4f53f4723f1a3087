package dev.gemmac.example

import android.app.Activity
import android.os.Bundle
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import dev.gemmac.Gemmac
import dev.gemmac.GemmacException
import java.io.File
import java.util.concurrent.Executors

/**
 * One prompt field, one button, and the model's answer streamed below. The
 * model is the model.gmf pushed to this app's external files directory (see
 * README.md); it loads on the first click.
 */
class MainActivity : Activity() {
    // Model calls block: they run on this one thread, in order.
    private val worker = Executors.newSingleThreadExecutor()
    private var model: Gemmac? = null // used on the worker only

    @Volatile private var destroyed = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val prompt = EditText(this).apply { setText("Why is the sky blue?") }
        val output = TextView(this)
        val button = Button(this).apply { text = "Generate" }
        button.setOnClickListener {
            button.isEnabled = false
            output.text = ""
            val text = prompt.text.toString()
            worker.execute {
                val error = try {
                    val gemma = model ?: load().also { model = it }
                    gemma.stream(text) { piece ->
                        runOnUiThread { output.append(piece) }
                        !destroyed
                    }
                    null
                } catch (e: GemmacException) {
                    e.message
                }
                runOnUiThread {
                    error?.let { output.append("\n[$it]") }
                    button.isEnabled = true
                }
            }
        }
        setContentView(LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            addView(prompt)
            addView(button)
            addView(ScrollView(context).apply { addView(output) })
        })
    }

    private fun load(): Gemmac {
        val gemma = Gemmac.load(File(getExternalFilesDir(null), "model.gmf").path)
        runOnUiThread { title = "gemmac: ${gemma.executor}" }
        return gemma
    }

    override fun onDestroy() {
        destroyed = true // ends a running generation at its next token
        worker.execute { model?.close() }
        worker.shutdown()
        super.onDestroy()
    }
}
