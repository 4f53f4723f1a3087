# Makes the serve tests' model: a 2-layer synthetic checkpoint with the small
# test tokenizer (test/Inputs/tiny_tokenizer.py), compiled. Fast to build and
# to run, with a real tokenizer, chat turn markers and stop ids.
# cmake -DGEMMAC=... -DPYTHON=... -DTOKENIZER_SCRIPT=... -DOUT_DIR=... -P make_tiny_model.cmake
file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(COMMAND ${GEMMAC} synth ${OUT_DIR}/ckpt --layers 2 --vocab 4096 COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${PYTHON} ${TOKENIZER_SCRIPT} OUTPUT_FILE ${OUT_DIR}/tokenizer.json COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${GEMMAC} compile ${OUT_DIR}/ckpt --tokenizer ${OUT_DIR}/tokenizer.json
                        -o ${OUT_DIR}/tiny.gmf COMMAND_ERROR_IS_FATAL ANY)
