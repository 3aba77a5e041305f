/* ecg-core-error.h — the core's status codes as GError, and g_autoptr for core types. */
#pragma once

#include <glib.h>

#include "dataset.h"
#include "record.h"
#include "status.h"

G_BEGIN_DECLS

#define ECG_CORE_ERROR (ecg_core_error_quark ())

static inline GQuark
ecg_core_error_quark (void)
{
  return g_quark_from_static_string ("ecg-core-error-quark");
}

/* Move a core failure into error (the code is the negative EcgStatus). */
static inline void
ecg_core_error_propagate (GError         **error,
                          const EcgError  *err)
{
  g_set_error_literal (error, ECG_CORE_ERROR, err->status, err->message);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EcgDataset, ecg_dataset_close)
/* g_auto(EcgRecord) record = { 0 }; for records in caller storage */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EcgRecord, ecg_record_clear)

G_END_DECLS
