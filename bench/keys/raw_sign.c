/* raw_sign: the reference for the key-custody benchmark. Plain PKCS#11 against the same SoftHSM2 token sfi uses:
 * one C_Login, one session per thread, C_SignInit + C_Sign (CKM_ECDSA, P-256) on 32-byte digests for a fixed time.
 * Usage: raw_sign MODULE TOKEN_LABEL PIN_FILE SECONDS THREADS [session|token]
 *   (SOFTHSM2_CONF must point at the token's config)
 *   session (default): the key pair is a session object (CKA_TOKEN false), held in memory only;
 *   token: the key pair is a token object (CKA_TOKEN true), like the keys sfi generates; SoftHSM2's file object store
 *          then re-checks the object's file on disk at every use. It is destroyed at the end.
 * Prints: raw key=KIND threads=N signatures=S seconds=T rate=R cpu=C (C: this process's CPU seconds while signing,
 *         user + system, SoftHSM2's work included) */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <p11-kit/pkcs11.h> /* the standard PKCS#11 header, from libp11-kit-dev */

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE key;
static double seconds;
static volatile int stop;

static double cpu(void) { struct rusage u; getrusage(RUSAGE_SELF, &u); return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void check(CK_RV rv, const char *what) { if (rv != CKR_OK) { fprintf(stderr, "raw_sign: %s failed: 0x%lx\n", what, (unsigned long)rv); exit(1); } }

static void *worker(void *arg) {
    long *count = arg;
    CK_SESSION_HANDLE session;
    check(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session), "C_OpenSession");
    CK_BYTE digest[32], signature[64];
    memset(digest, 0x5a, sizeof digest);
    CK_MECHANISM mechanism = { CKM_ECDSA, NULL, 0 };
    while (!stop) {
        digest[0] = (CK_BYTE)*count;
        CK_ULONG length = sizeof signature;
        check(p11->C_SignInit(session, &mechanism, key), "C_SignInit");
        check(p11->C_Sign(session, digest, sizeof digest, signature, &length), "C_Sign");
        (*count)++;
    }
    p11->C_CloseSession(session);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6 && argc != 7) { fprintf(stderr, "usage: raw_sign MODULE TOKEN_LABEL PIN_FILE SECONDS THREADS [session|token]\n"); return 2; }
    const char *kind = argc == 7 ? argv[6] : "session";
    if (strcmp(kind, "session") != 0 && strcmp(kind, "token") != 0) { fprintf(stderr, "raw_sign: key kind must be session or token\n"); return 2; }
    CK_BBOOL onToken = strcmp(kind, "token") == 0 ? CK_TRUE : CK_FALSE;
    seconds = atof(argv[4]);
    int threads = atoi(argv[5]);
    void *module = dlopen(argv[1], RTLD_NOW);
    if (!module) { fprintf(stderr, "raw_sign: %s\n", dlerror()); return 1; }
    CK_C_GetFunctionList getFunctionList = (CK_C_GetFunctionList)dlsym(module, "C_GetFunctionList");
    check(getFunctionList(&p11), "C_GetFunctionList");
    CK_C_INITIALIZE_ARGS init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
    check(p11->C_Initialize(&init), "C_Initialize");

    CK_ULONG slotCount = 64; CK_SLOT_ID slots[64];
    check(p11->C_GetSlotList(CK_TRUE, slots, &slotCount), "C_GetSlotList");
    int found = 0;
    for (CK_ULONG i = 0; i < slotCount && !found; i++) {
        CK_TOKEN_INFO info;
        if (p11->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
        char label[33]; memcpy(label, info.label, 32); label[32] = 0;
        for (int j = 31; j >= 0 && label[j] == ' '; j--) label[j] = 0;
        if (strcmp(label, argv[2]) == 0) { slot = slots[i]; found = 1; }
    }
    if (!found) { fprintf(stderr, "raw_sign: no token labelled %s\n", argv[2]); return 1; }

    char pin[256] = {0};
    FILE *f = fopen(argv[3], "r");
    if (!f || !fgets(pin, sizeof pin, f)) { fprintf(stderr, "raw_sign: cannot read %s\n", argv[3]); return 1; }
    fclose(f);
    pin[strcspn(pin, "\r\n")] = 0;

    CK_SESSION_HANDLE main;
    check(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &main), "C_OpenSession");
    check(p11->C_Login(main, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), "C_Login");

    /* A key pair with the attributes sfi uses for its own keys; a session object unless `token` was asked for. */
    CK_BYTE p256[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE publicTemplate[] = { { CKA_EC_PARAMS, p256, sizeof p256 }, { CKA_VERIFY, &yes, sizeof yes }, { CKA_TOKEN, &onToken, sizeof onToken } };
    CK_ATTRIBUTE privateTemplate[] = { { CKA_SIGN, &yes, sizeof yes }, { CKA_SENSITIVE, &yes, sizeof yes }, { CKA_EXTRACTABLE, &no, sizeof no },
                                       { CKA_PRIVATE, &yes, sizeof yes }, { CKA_TOKEN, &onToken, sizeof onToken } };
    CK_MECHANISM generate = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_OBJECT_HANDLE publicKey;
    check(p11->C_GenerateKeyPair(main, &generate, publicTemplate, 3, privateTemplate, 5, &publicKey, &key), "C_GenerateKeyPair");

    pthread_t ids[64]; long counts[64] = {0};
    double start = now(), cpuStart = cpu();
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, &counts[i]);
    while (now() - start < seconds) { struct timespec t = { 0, 10000000 }; nanosleep(&t, NULL); }
    stop = 1;
    long total = 0;
    for (int i = 0; i < threads; i++) { pthread_join(ids[i], NULL); total += counts[i]; }
    double elapsed = now() - start, cpuUsed = cpu() - cpuStart;
    printf("raw key=%s threads=%d signatures=%ld seconds=%.2f rate=%.1f cpu=%.3f\n", kind, threads, total, elapsed, total / elapsed, cpuUsed);
    if (onToken) {
        check(p11->C_DestroyObject(main, key), "C_DestroyObject");
        check(p11->C_DestroyObject(main, publicKey), "C_DestroyObject");
    }
    p11->C_Logout(main);
    p11->C_CloseSession(main);
    p11->C_Finalize(NULL);
    return 0;
}
