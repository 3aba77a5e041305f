/* RFC 4180 parsing: quotes, doubled quotes, separators and line breaks inside
 * quotes, CRLF, and the broken inputs the importer must reject with a line number. */
#include "csv.h"
#include "test.h"

static int parse(const char *text, EcgCsv *csv, EcgError *err)
{
    return ecg_csv_parse("t.csv", text, strlen(text), csv, err);
}

static void test_quoted_fields(void)
{
    EcgCsv csv;
    EcgError err = {0};
    const char *text = "id,scp_codes,report\r\n"
                       "1,\"{'NORM': 100.0, 'SR': 0.0}\",\"sinus rhythm, \"\"normal\"\"\nsecond line\"\r\n"
                       "2,,plain\n";
    REQUIRE_OK(parse(text, &csv, &err), &err);
    CHECK(csv.n_rows == 2 && csv.n_cols == 3);
    CHECK(ecg_csv_column(&csv, "report") == 2);
    CHECK(ecg_csv_column(&csv, "missing") == -1);
    CHECK(strcmp(ecg_csv_cell(&csv, 0, 1), "{'NORM': 100.0, 'SR': 0.0}") == 0);
    CHECK(strcmp(ecg_csv_cell(&csv, 0, 2), "sinus rhythm, \"normal\"\nsecond line") == 0);
    CHECK(strcmp(ecg_csv_cell(&csv, 1, 1), "") == 0);
    CHECK(strcmp(ecg_csv_cell(&csv, 1, 2), "plain") == 0);
    ecg_csv_clear(&csv);
}

static void test_no_final_line_break_and_trailing_empty_field(void)
{
    EcgCsv csv;
    EcgError err = {0};
    CHECK_OK(parse("a,b\n1,", &csv, &err), &err);
    CHECK(csv.n_rows == 1);
    CHECK(strcmp(ecg_csv_cell(&csv, 0, 0), "1") == 0 && strcmp(ecg_csv_cell(&csv, 0, 1), "") == 0);
    ecg_csv_clear(&csv);
    CHECK_OK(parse("a,b\n\"x\",\"\"", &csv, &err), &err);
    CHECK(strcmp(ecg_csv_cell(&csv, 0, 0), "x") == 0 && strcmp(ecg_csv_cell(&csv, 0, 1), "") == 0);
    ecg_csv_clear(&csv);
}

static void test_broken_quoting_is_reported_with_line(void)
{
    EcgCsv csv;
    EcgError err = {0};
    CHECK(parse("a,b\n1,2\n3,\"open\n4,5\n", &csv, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "t.csv: line 3") && strstr(err.message, "never closed"), "%s", err.message);
    CHECK(parse("a,b\n1,\"x\"y\n", &csv, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "line 2") && strstr(err.message, "after a closing quote"), "%s", err.message);
    CHECK(parse("a,b\n1,x\"y\n", &csv, &err) == ECG_ERR_FORMAT);
    CHECK(parse("a,b\n1,2,3\n", &csv, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "line 2: 3 fields where the header has 2"), "%s", err.message);
    CHECK(parse("", &csv, &err) == ECG_ERR_FORMAT);
    CHECK(strstr(err.message, "empty") != NULL);
}

static void test_missing_file(void)
{
    EcgCsv csv;
    EcgError err = {0};
    CHECK(ecg_csv_read("/nonexistent/ptbxl_database.csv", &csv, &err) == ECG_ERR_IO);
    CHECK(strstr(err.message, "/nonexistent/ptbxl_database.csv") != NULL);
}

static void test_real_ptbxl_database(void)
{
    const char *path = test_shared_path("ptbxl/ptbxl_database.csv");
    SKIP_IF(!path, "../shared/ptbxl not present");
    EcgCsv csv;
    EcgError err = {0};
    CHECK_OK(ecg_csv_read(path, &csv, &err), &err);
    CHECK(csv.n_rows == 987);
    CHECK(csv.n_cols == 28);
    CHECK(ecg_csv_column(&csv, "filename_hr") == 27);
    ecg_csv_clear(&csv);
}

int main(void)
{
    RUN(test_quoted_fields);
    RUN(test_no_final_line_break_and_trailing_empty_field);
    RUN(test_broken_quoting_is_reported_with_line);
    RUN(test_missing_file);
    RUN(test_real_ptbxl_database);
    return test_done();
}
