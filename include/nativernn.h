/*
 * nativernn.h: the C interface of libnativernn, NativeRnn's recurrent models compiled ahead of time into a shared
 * library (src/NativeRnn.Native; `dotnet publish src/NativeRnn.Native -c Release -r linux-x64`, or linux-arm64).
 *
 * - No function throws or aborts on bad input: each returns an nrnn_status, and nrnn_last_error() gives the
 *   calling thread's last failure as text.
 * - The models are the ones declared in the library (nrnn_model_count / nrnn_model_name list them); sizes are
 *   fixed when the library is built.
 * - A stream's state is the caller's: an array of nrnn_info.state_size floats, zero (nrnn_reset_state) before
 *   the first step. It holds, layer by layer from the bottom, h and then, for an LSTM layer, c. One model serves
 *   any number of streams; the step functions do not allocate.
 * - Use a model from one thread at a time; threads that run in parallel each create their own.
 * - Floats are 32-bit; token ids are int32_t.
 */
#ifndef NATIVERNN_H
#define NATIVERNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status of every call that can fail. */
typedef enum nrnn_status {
    NRNN_OK = 0,
    NRNN_INVALID_ARGUMENT = 1, /* a null pointer, a wrong length, a token out of range, a non-finite input */
    NRNN_UNKNOWN_MODEL = 2,    /* no declared model has the name */
    NRNN_BAD_WEIGHTS = 3,      /* the weights are malformed or do not fit the model; the model is unchanged */
    NRNN_WRONG_MODEL_KIND = 4, /* a token function on a model of real-valued inputs, or the other way round */
    NRNN_OUT_OF_MEMORY = 5,
    NRNN_INTERNAL = 6          /* anything else; nrnn_last_error() says what */
} nrnn_status;

/* nrnn_load_safetensors flag: skip tensors the model does not have instead of refusing the file. */
#define NRNN_LOAD_IGNORE_UNEXPECTED 1u

/* A model: its parameters, no stream state. */
typedef struct nrnn_model nrnn_model;

/* A model's sizes. */
typedef struct nrnn_info {
    int32_t input_size;      /* floats per step; 0 for a token model */
    int32_t vocabulary;      /* token ids accepted; 0 for a model of real-valued inputs */
    int32_t output_size;     /* floats of y_t (logits, for a text model) */
    int32_t state_size;      /* floats of a stream's state */
    int64_t parameter_count; /* floats of the parameter block */
} nrnn_info;

/* The library's version, e.g. "0.1.0"; a static string. */
const char *nrnn_version(void);

/* The declared models: their number, and the name of each (a static string; NULL past the end). */
int32_t nrnn_model_count(void);
const char *nrnn_model_name(int32_t index);

/* Creates the model called name, its parameters initialised from seed; *model is NULL on failure. */
nrnn_status nrnn_create(const char *name, uint64_t seed, nrnn_model **model);

/* Frees a model; NULL does nothing. */
void nrnn_free(nrnn_model *model);

/* The model's sizes. */
nrnn_status nrnn_get_info(const nrnn_model *model, nrnn_info *info);

/* Loads every parameter from a safetensors file held in memory (PyTorch's names and layout, or a file saved by
   NativeRnn); the buffer may be freed when the call returns. flags: 0 or NRNN_LOAD_IGNORE_UNEXPECTED. */
nrnn_status nrnn_load_safetensors(nrnn_model *model, const uint8_t *data, size_t length, uint32_t flags);

/* Sets a state to zero: the state before a stream's first step. */
nrnn_status nrnn_reset_state(const nrnn_model *model, float *state, size_t state_length);

/* One step of a model of real-valued inputs: state advanced in place, y_t written to output. */
nrnn_status nrnn_step(const nrnn_model *model, float *state, size_t state_length,
                      const float *input, size_t input_length, float *output, size_t output_length);

/* A whole sequence of one stream: inputs [steps][input_size], outputs [steps][output_size], the lengths in floats. */
nrnn_status nrnn_sequence(const nrnn_model *model, float *state, size_t state_length,
                          const float *inputs, size_t inputs_length, float *outputs, size_t outputs_length);

/* One step of a token model. */
nrnn_status nrnn_step_token(const nrnn_model *model, float *state, size_t state_length,
                            int32_t token, float *output, size_t output_length);

/* A sequence of tokens of one stream: outputs [steps][output_size]. */
nrnn_status nrnn_sequence_tokens(const nrnn_model *model, float *state, size_t state_length,
                                 const int32_t *tokens, size_t steps, float *outputs, size_t outputs_length);

/* Many streams advanced together, each weight read once per step for all of them. states: [streams][state_size],
   advanced in place; inputs time-major [steps][streams][input_size]; outputs [steps][streams][output_size]; the
   lengths in floats. On a failure no state has changed. */
nrnn_status nrnn_streams(const nrnn_model *model, float *states, size_t streams,
                         const float *inputs, size_t inputs_length, float *outputs, size_t outputs_length);

/* Many streams of a token model: tokens [steps][streams], outputs [steps][streams][output_size]. */
nrnn_status nrnn_streams_tokens(const nrnn_model *model, float *states, size_t streams,
                                const int32_t *tokens, size_t tokens_length, float *outputs, size_t outputs_length);

/* The calling thread's last failure message ("" if none); valid until that thread's next failure. */
const char *nrnn_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* NATIVERNN_H */
