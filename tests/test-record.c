/* Lead-name canonicalisation and the finite-sample check of a record. */
#include "record.h"
#include "test.h"

static void test_lead_names_are_case_insensitive(void)
{
    CHECK(ecg_lead_standard_index("I") == 0);
    CHECK(ecg_lead_standard_index("avr") == 3);
    CHECK(ecg_lead_standard_index("AVR") == 3);
    CHECK(ecg_lead_standard_index("aVF") == 5);
    CHECK(ecg_lead_standard_index("v6") == 11);
    CHECK(ecg_lead_standard_index("MLII") == -1);
    CHECK(ecg_lead_standard_index("") == -1);

    EcgRecord rec;
    EcgError err = {0};
    CHECK_OK(ecg_record_init(&rec, 2, 4, 100.0, &err), &err);
    ecg_record_set_lead_name(&rec, 0, "avl");
    ecg_record_set_lead_name(&rec, 1, "vx");
    CHECK(strcmp(rec.leads[0].name, "aVL") == 0);
    CHECK(strcmp(rec.leads[1].name, "vx") == 0);
    CHECK(ecg_record_find_lead(&rec, "AVL") == 0);
    CHECK(!ecg_record_has_standard12(&rec));
    ecg_record_clear(&rec);
}

static void test_non_finite_sample_is_named(void)
{
    EcgRecord rec;
    EcgError err = {0};
    CHECK_OK(ecg_record_init(&rec, 2, 10, 100.0, &err), &err);
    ecg_record_set_lead_name(&rec, 1, "V2");
    CHECK(ecg_record_check_finite(&rec, "x.npy", &err) == ECG_OK);
    ecg_record_lead(&rec, 1)[7] = NAN;
    CHECK(ecg_record_check_finite(&rec, "x.npy", &err) == ECG_ERR_DATA);
    CHECK(strstr(err.message, "x.npy") && strstr(err.message, "V2") && strstr(err.message, "NaN"));
    ecg_record_clear(&rec);
}

static void test_empty_record_is_refused(void)
{
    EcgRecord rec;
    EcgError err = {0};
    CHECK(ecg_record_init(&rec, 12, 0, 100.0, &err) == ECG_ERR_ARG);
    CHECK(rec.samples == NULL);
}

static void test_copy_is_deep(void)
{
    EcgRecord rec, copy;
    EcgError err = {0};
    REQUIRE_OK(ecg_record_init(&rec, 2, 3, 360.0, &err), &err);
    snprintf(rec.id, sizeof rec.id, "100");
    ecg_record_set_lead_name(&rec, 0, "MLII");
    ecg_record_lead(&rec, 1)[2] = 1.5f;
    REQUIRE_OK(ecg_record_copy(&rec, &copy, &err), &err);
    ecg_record_lead(&rec, 1)[2] = 0;
    snprintf(rec.leads[0].name, sizeof rec.leads[0].name, "V5");
    CHECK(copy.n_leads == 2 && copy.n_samples == 3 && copy.fs == 360.0 && strcmp(copy.id, "100") == 0);
    CHECK(strcmp(copy.leads[0].name, "MLII") == 0 && ecg_record_lead(&copy, 1)[2] == 1.5f);
    ecg_record_clear(&rec);
    ecg_record_clear(&copy);
}

int main(void)
{
    RUN(test_lead_names_are_case_insensitive);
    RUN(test_non_finite_sample_is_named);
    RUN(test_empty_record_is_refused);
    RUN(test_copy_is_deep);
    return test_done();
}
