/* fuzz_engine_csv.c - the CSV reader and dataset building on hostile bytes:
 * any input must parse or be refused with a message, never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eng_csv csv;
	struct eng_dataset ds, tr, te;
	struct eng_err err;

	if (eng_csv_parse((const char *)data, size, "fuzz.csv", &csv, &err) < 0)
		return 0;
	long label = eng_csv_column(&csv, "label", &err);

	if (label < 0)
		label = (long)csv.cols - 1;
	if (eng_dataset_from_csv(&csv, label, 3, "fuzz.csv", &ds, &err) == 0) {
		if (eng_dataset_split(&ds, 0.25, 42, true, &tr, &te, &err) == 0) {
			struct eng_scaler sc;

			if (eng_scaler_fit(ENG_SCALE_STANDARD, 1.0, &tr, &sc, &err) == 0) {
				eng_scaler_apply(&sc, &te, &err);
				eng_scaler_free(&sc);
			}
			eng_dataset_free(&tr);
			eng_dataset_free(&te);
		}
		eng_dataset_free(&ds);
	}
	eng_csv_free(&csv);
	return 0;
}
