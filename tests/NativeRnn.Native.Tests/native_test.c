/*
 * A C program that uses libnativernn as firmware or a command-line tool would, and checks what it computes.
 *
 *   native_test fixtures DIR            each fixture-shaped model, loaded from a PyTorch reference fixture of
 *                                       DIR (tests/fixtures/pytorch): two streams (one by nrnn_sequence, one by
 *                                       nrnn_step) from the fixture's initial states must give PyTorch's outputs
 *                                       and final states; then the error paths.
 *   native_test generate MODEL PROMPT N a text model saved by 'nativernn text --size small': the prompt's
 *                                       cross-entropy and N greedy tokens, printed as 'nativernn generate
 *                                       --temperature 0 --score' prints them, for the caller to compare.
 *
 * Exit status 0 when every check passes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nativernn.h"

static int failures = 0;

#define CHECK(condition, ...)                   \
    do {                                        \
        if (!(condition)) {                     \
            fprintf(stderr, "FAILED: ");        \
            fprintf(stderr, __VA_ARGS__);       \
            fprintf(stderr, "\n");              \
            failures++;                         \
        }                                       \
    } while (0)

static unsigned char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size);
    if (!data || fread(data, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(file);
    *length = (size_t)size;
    return data;
}

/* A tensor of a safetensors file: its F32 data and shape, found in the JSON header by its exact name. */
typedef struct {
    const float *data;
    int shape[4];
    int rank;
    size_t count;
} tensor;

static int find_tensor(const unsigned char *file, size_t length, const char *name, tensor *out) {
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = (header << 8) | file[i];
    if (8 + header > length) return 0;
    char key[128];
    snprintf(key, sizeof key, "\"%s\":", name);
    char *json = malloc(header + 1);
    memcpy(json, file + 8, header);
    json[header] = 0;
    char *at = strstr(json, key);
    int found = 0;
    if (at) {
        char *end = strchr(at, '}');
        char *shape = strstr(at, "\"shape\":[");
        char *offsets = strstr(at, "\"data_offsets\":[");
        if (end && shape && offsets && shape < end && offsets < end && strstr(at, "\"F32\"") < end) {
            out->rank = 0;
            out->count = 1;
            for (char *p = shape + 9; *p != ']' && out->rank < 4;) {
                long v = strtol(p, &p, 10);
                out->shape[out->rank++] = (int)v;
                out->count *= (size_t)v;
                if (*p == ',') p++;
            }
            char *p = offsets + 16;
            long begin = strtol(p, &p, 10);
            out->data = (const float *)(file + 8 + header + begin);
            found = 1;
        }
    }
    free(json);
    return found;
}

static double worst_error(const float *expected, const float *actual, size_t count) {
    double worst = 0;
    for (size_t i = 0; i < count; i++) {
        double e = fabs((double)expected[i] - (double)actual[i]);
        if (isnan(e) || e > worst) worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

/* One fixture case: the model, the fixture file, whether the cells are LSTMs. */
static void check_fixture(const char *dir, const char *model_name, const char *fixture, int lstm) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, fixture);
    size_t length;
    unsigned char *file = read_file(path, &length);

    nrnn_model *model = NULL;
    nrnn_status status = nrnn_create(model_name, 1, &model);
    CHECK(status == NRNN_OK && model, "nrnn_create(%s): %d %s", model_name, status, nrnn_last_error());
    if (!model) return;
    /* The fixture file holds inputs, outputs and gradients besides the weights. */
    status = nrnn_load_safetensors(model, file, length, NRNN_LOAD_IGNORE_UNEXPECTED);
    CHECK(status == NRNN_OK, "load %s: %d %s", fixture, status, nrnn_last_error());
    nrnn_info info;
    CHECK(nrnn_get_info(model, &info) == NRNN_OK, "nrnn_get_info: %s", nrnn_last_error());

    tensor input, h0, c0, output, h_n, c_n;
    CHECK(find_tensor(file, length, "input", &input) && find_tensor(file, length, "h0", &h0) &&
          find_tensor(file, length, "output", &output) && find_tensor(file, length, "h_n", &h_n) &&
          (!lstm || (find_tensor(file, length, "c0", &c0) && find_tensor(file, length, "c_n", &c_n))),
          "%s lacks a tensor", fixture);
    int steps = input.shape[0], batch = input.shape[1], features = input.shape[2];
    int layers = h0.shape[0], hidden = h0.shape[2];
    CHECK(features == info.input_size && hidden == info.output_size && batch == 2 &&
              info.state_size == layers * hidden * (lstm ? 2 : 1),
          "%s: shapes do not fit %s", fixture, model_name);

    double worst = 0;
    float *state = calloc((size_t)info.state_size, sizeof(float));
    float *x = malloc(sizeof(float) * (size_t)(steps * features));
    float *y = malloc(sizeof(float) * (size_t)(steps * hidden));
    float *expected = malloc(sizeof(float) * (size_t)info.state_size);
    for (int b = 0; b < batch; b++) {
        /* The state, layer by layer: h, then c for an LSTM. PyTorch's h0 is [layers][batch][hidden]. */
        CHECK(nrnn_reset_state(model, state, (size_t)info.state_size) == NRNN_OK, "reset: %s", nrnn_last_error());
        for (int k = 0; k < layers; k++) {
            int at = k * hidden * (lstm ? 2 : 1);
            memcpy(state + at, h0.data + (k * batch + b) * hidden, sizeof(float) * (size_t)hidden);
            memcpy(expected + at, h_n.data + (k * batch + b) * hidden, sizeof(float) * (size_t)hidden);
            if (lstm) {
                memcpy(state + at + hidden, c0.data + (k * batch + b) * hidden, sizeof(float) * (size_t)hidden);
                memcpy(expected + at + hidden, c_n.data + (k * batch + b) * hidden, sizeof(float) * (size_t)hidden);
            }
        }
        for (int t = 0; t < steps; t++) {
            memcpy(x + t * features, input.data + (t * batch + b) * features, sizeof(float) * (size_t)features);
        }
        if (b == 0) {
            status = nrnn_sequence(model, state, (size_t)info.state_size, x, (size_t)(steps * features), y, (size_t)(steps * hidden));
            CHECK(status == NRNN_OK, "nrnn_sequence: %d %s", status, nrnn_last_error());
        } else {
            for (int t = 0; t < steps; t++) {
                status = nrnn_step(model, state, (size_t)info.state_size, x + t * features, (size_t)features, y + t * hidden, (size_t)hidden);
                CHECK(status == NRNN_OK, "nrnn_step: %d %s", status, nrnn_last_error());
            }
        }
        for (int t = 0; t < steps; t++) {
            double e = worst_error(output.data + (t * batch + b) * hidden, y + t * hidden, (size_t)hidden);
            worst = e > worst ? e : worst;
        }
        double e = worst_error(expected, state, (size_t)info.state_size);
        worst = e > worst ? e : worst;
    }
    /* All streams in one call: the fixture's batch is time-major [steps][batch][features], as nrnn_streams takes it. */
    float *states = calloc((size_t)(batch * info.state_size), sizeof(float));
    float *ys = malloc(sizeof(float) * (size_t)(steps * batch * hidden));
    for (int b = 0; b < batch; b++) {
        for (int k = 0; k < layers; k++) {
            int at = b * info.state_size + k * hidden * (lstm ? 2 : 1);
            memcpy(states + at, h0.data + (k * batch + b) * hidden, sizeof(float) * (size_t)hidden);
            if (lstm) memcpy(states + at + hidden, c0.data + (k * batch + b) * hidden, sizeof(float) * (size_t)hidden);
        }
    }
    status = nrnn_streams(model, states, (size_t)batch, input.data, (size_t)(steps * batch * features), ys, (size_t)(steps * batch * hidden));
    CHECK(status == NRNN_OK, "nrnn_streams: %d %s", status, nrnn_last_error());
    double worst_streams = worst_error(output.data, ys, (size_t)(steps * batch * hidden));
    for (int b = 0; b < batch; b++) {
        for (int k = 0; k < layers; k++) {
            int at = b * info.state_size + k * hidden * (lstm ? 2 : 1);
            double e = worst_error(h_n.data + (k * batch + b) * hidden, states + at, (size_t)hidden);
            worst_streams = e > worst_streams ? e : worst_streams;
            if (lstm) {
                e = worst_error(c_n.data + (k * batch + b) * hidden, states + at + hidden, (size_t)hidden);
                worst_streams = e > worst_streams ? e : worst_streams;
            }
        }
    }
    /* A wrong length is refused and changes no state. */
    float *kept = malloc(sizeof(float) * (size_t)(batch * info.state_size));
    memcpy(kept, states, sizeof(float) * (size_t)(batch * info.state_size));
    status = nrnn_streams(model, states, (size_t)batch, input.data, (size_t)(steps * batch * features) - 1, ys, (size_t)(steps * batch * hidden));
    CHECK(status == NRNN_INVALID_ARGUMENT && memcmp(kept, states, sizeof(float) * (size_t)(batch * info.state_size)) == 0,
          "nrnn_streams with a wrong length: status %d, or a state changed", status);
    free(kept);
    printf("%-20s %-20s %d streams in one call: worst |error| %.2e\n", model_name, fixture, batch, worst_streams);
    worst = worst_streams > worst ? worst_streams : worst;
    free(states);
    free(ys);

    const double tolerance = 1e-5; /* the test suite's bound for float against PyTorch */
    printf("%-20s %-20s worst |error| %.2e  %s\n", model_name, fixture, worst, worst <= tolerance ? "ok" : "FAILED");
    CHECK(worst <= tolerance, "%s against %s: worst error %.3e", model_name, fixture, worst);

    /* A truncated file is refused and leaves the model as it was. */
    float before[64], after[64];
    nrnn_reset_state(model, state, (size_t)info.state_size);
    nrnn_step(model, state, (size_t)info.state_size, x, (size_t)features, before, (size_t)hidden);
    status = nrnn_load_safetensors(model, file, length / 2, NRNN_LOAD_IGNORE_UNEXPECTED);
    CHECK(status == NRNN_BAD_WEIGHTS && strlen(nrnn_last_error()) > 0, "truncated file: status %d", status);
    nrnn_reset_state(model, state, (size_t)info.state_size);
    nrnn_step(model, state, (size_t)info.state_size, x, (size_t)features, after, (size_t)hidden);
    CHECK(memcmp(before, after, sizeof(float) * (size_t)hidden) == 0, "a refused file changed the model");

    free(state);
    free(x);
    free(y);
    free(expected);
    nrnn_free(model);
    free(file);
}

static void check_errors(void) {
    nrnn_model *model = (nrnn_model *)1;
    nrnn_status status = nrnn_create("no-such-model", 0, &model);
    CHECK(status == NRNN_UNKNOWN_MODEL && model == NULL, "unknown model: status %d", status);
    CHECK(strstr(nrnn_last_error(), "fixture-lstm") != NULL, "the unknown-model message lists the models: %s", nrnn_last_error());
    printf("unknown model: %s\n", nrnn_last_error());

    CHECK(nrnn_create("fixture-gru", 3, &model) == NRNN_OK, "create: %s", nrnn_last_error());
    nrnn_info info;
    nrnn_get_info(model, &info);
    float state[64] = {0}, x[3] = {0.5f, -1, 2}, y[16];
    status = nrnn_step(model, state, (size_t)info.state_size, x, 2, y, (size_t)info.output_size);
    CHECK(status == NRNN_INVALID_ARGUMENT, "a short input: status %d", status);
    printf("short input: %s\n", nrnn_last_error());
    status = nrnn_step(model, state, (size_t)info.state_size + 1, x, 3, y, (size_t)info.output_size);
    CHECK(status == NRNN_INVALID_ARGUMENT, "a wrong state length: status %d", status);
    status = nrnn_step(model, NULL, (size_t)info.state_size, x, 3, y, (size_t)info.output_size);
    CHECK(status == NRNN_INVALID_ARGUMENT, "a null state: status %d", status);
    status = nrnn_step_token(model, state, (size_t)info.state_size, 1, y, (size_t)info.output_size);
    CHECK(status == NRNN_WRONG_MODEL_KIND, "a token into a real-valued model: status %d", status);
    printf("token into a real-valued model: %s\n", nrnn_last_error());
    x[1] = NAN;
    status = nrnn_step(model, state, (size_t)info.state_size, x, 3, y, (size_t)info.output_size);
    printf("NaN input: status %d%s%s\n", status, status ? ", " : "", status ? nrnn_last_error() : "");
    CHECK(nrnn_get_info(NULL, &info) == NRNN_INVALID_ARGUMENT, "a null model");
    unsigned char junk[16] = "not safetensors";
    status = nrnn_load_safetensors(model, junk, sizeof junk, 0);
    CHECK(status == NRNN_BAD_WEIGHTS, "junk weights: status %d", status);
    printf("junk weights: %s\n", nrnn_last_error());
    nrnn_free(model);
    nrnn_free(NULL);
}

/* As 'nativernn generate --temperature 0 --score': the prompt's mean −ln p(next), then the greedy text. */
static int generate(const char *path, const char *prompt, int count) {
    size_t length;
    unsigned char *file = read_file(path, &length);
    nrnn_model *model = NULL;
    if (nrnn_create("text-lstm-small", 0, &model) != NRNN_OK || nrnn_load_safetensors(model, file, length, 0) != NRNN_OK) {
        fprintf(stderr, "native_test: %s\n", nrnn_last_error());
        return 1;
    }
    nrnn_info info;
    nrnn_get_info(model, &info);
    float *state = calloc((size_t)info.state_size, sizeof(float));
    float *logits = malloc(sizeof(float) * (size_t)info.output_size);
    size_t n = strlen(prompt);

    /* The score, teacher forced; the sum in double as the program does it. */
    double total = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        nrnn_step_token(model, state, (size_t)info.state_size, (unsigned char)prompt[i], logits, (size_t)info.output_size);
        double max = -INFINITY, sum = 0;
        for (int j = 0; j < info.output_size; j++) max = logits[j] > max ? logits[j] : max;
        for (int j = 0; j < info.output_size; j++) sum += exp(logits[j] - max);
        total += max + log(sum) - logits[(unsigned char)prompt[i + 1]];
    }

    /* The text: prime with the prompt step by step from a zero state, as the program does, then take the largest
       logit each step (the first on ties). */
    nrnn_reset_state(model, state, (size_t)info.state_size);
    for (size_t i = 0; i < n; i++) {
        nrnn_step_token(model, state, (size_t)info.state_size, (unsigned char)prompt[i], logits, (size_t)info.output_size);
    }

    /* The whole prompt at once (nrnn_sequence_tokens) ends at the same logits, up to rounding. */
    float *sequence_state = calloc((size_t)info.state_size, sizeof(float));
    int32_t *ids = malloc(sizeof(int32_t) * n);
    for (size_t i = 0; i < n; i++) ids[i] = (unsigned char)prompt[i];
    float *all = malloc(sizeof(float) * n * (size_t)info.output_size);
    nrnn_status status = nrnn_sequence_tokens(model, sequence_state, (size_t)info.state_size, ids, n, all, n * (size_t)info.output_size);
    if (status != NRNN_OK) {
        fprintf(stderr, "native_test: %s\n", nrnn_last_error());
        return 1;
    }
    double difference = worst_error(logits, all + (n - 1) * (size_t)info.output_size, (size_t)info.output_size);
    if (!(difference <= 1e-4)) {
        fprintf(stderr, "FAILED: nrnn_sequence_tokens and nrnn_step_token differ by %.3e\n", difference);
        return 1;
    }
    free(sequence_state);
    fputs(prompt, stdout);
    for (int i = 0; i < count; i++) {
        int best = 0;
        for (int j = 1; j < info.output_size; j++) best = logits[j] > logits[best] ? j : best;
        putchar(best);
        nrnn_step_token(model, state, (size_t)info.state_size, best, logits, (size_t)info.output_size);
    }
    printf("\nprompt cross-entropy: %.6f nats per token, %d tokens predicted\n", total / (double)(n - 1), (int)(n - 1));
    free(all);
    free(ids);
    free(state);
    free(logits);
    nrnn_free(model);
    free(file);
    return 0;
}

/* Token streams in one call equal each stream run alone, on the text model (seeded weights). */
static void check_token_streams(void) {
    nrnn_model *model = NULL;
    CHECK(nrnn_create("text-lstm-small", 7, &model) == NRNN_OK, "create: %s", nrnn_last_error());
    if (!model) return;
    nrnn_info info;
    nrnn_get_info(model, &info);
    enum { STREAMS = 3, STEPS = 4 };
    const int32_t tokens[STEPS][STREAMS] = {{72, 101, 0}, {105, 255, 32}, {33, 10, 65}, {7, 200, 66}};
    size_t out = (size_t)info.output_size, size = (size_t)info.state_size;
    float *states = calloc(STREAMS * size, sizeof(float)), *alone = calloc(size, sizeof(float));
    float *together = malloc(sizeof(float) * STEPS * STREAMS * out), *single = malloc(sizeof(float) * STEPS * out);
    nrnn_status status = nrnn_streams_tokens(model, states, STREAMS, &tokens[0][0], STEPS * STREAMS, together, STEPS * STREAMS * out);
    CHECK(status == NRNN_OK, "nrnn_streams_tokens: %d %s", status, nrnn_last_error());
    double worst = 0;
    for (int b = 0; b < STREAMS; b++) {
        int32_t own[STEPS];
        for (int t = 0; t < STEPS; t++) own[t] = tokens[t][b];
        nrnn_reset_state(model, alone, size);
        CHECK(nrnn_sequence_tokens(model, alone, size, own, STEPS, single, STEPS * out) == NRNN_OK, "sequence: %s", nrnn_last_error());
        for (int t = 0; t < STEPS; t++) {
            double e = worst_error(single + t * out, together + ((size_t)t * STREAMS + b) * out, out);
            worst = e > worst ? e : worst;
        }
        double e = worst_error(alone, states + b * size, size);
        worst = e > worst ? e : worst;
    }
    printf("text-lstm-small      %d token streams in one call against each alone: worst |error| %.2e\n", STREAMS, worst);
    CHECK(worst <= 1e-5, "token streams differ from single streams: %.3e", worst);
    const int32_t bad[STREAMS] = {1, 256, 2};
    status = nrnn_streams_tokens(model, states, STREAMS, bad, STREAMS, together, STREAMS * out);
    CHECK(status == NRNN_INVALID_ARGUMENT, "a token out of range: status %d", status);
    free(states);
    free(alone);
    free(together);
    free(single);
    nrnn_free(model);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "fixtures") == 0) {
        printf("libnativernn %s, %d models:", nrnn_version(), nrnn_model_count());
        for (int i = 0; i < nrnn_model_count(); i++) printf(" %s", nrnn_model_name(i));
        printf("\n");
        CHECK(nrnn_model_name(nrnn_model_count()) == NULL, "a name past the end");
        check_fixture(argv[2], "fixture-lstm", "lstm_b2_f32", 1);
        check_fixture(argv[2], "fixture-gru", "gru_b2_f32", 0);
        check_fixture(argv[2], "fixture-rnn-tanh", "rnn_tanh_b2_f32", 0);
        check_fixture(argv[2], "fixture-lstm-2layer", "lstm_2layer_b2_f32", 1);
        check_errors();
        check_token_streams();
        printf(failures ? "%d check(s) FAILED\n" : "all checks passed\n", failures);
        return failures ? 1 : 0;
    }
    if (argc == 5 && strcmp(argv[1], "generate") == 0) {
        return generate(argv[2], argv[3], atoi(argv[4]));
    }
    fprintf(stderr, "usage: native_test fixtures DIR | native_test generate MODEL PROMPT COUNT\n");
    return 2;
}
