/* ecg-record-rows.c — the rows of the record list.
 *
 * Filtering and sorting work on plain arrays: one pass over the metadata and
 * scores writes the records that pass as (sort key, index) pairs, and qsort
 * orders them (21,799 records in a few ms). Items are made only for the
 * positions the view asks for, and kept by position as weak pointers.
 *
 * The cost is in the view: GTK 4.8's GtkListView keeps up to 200 rows around
 * its anchor, whatever its height, and makes them in its items-changed
 * handler. Hence:
 * - a re-order keeps each live item at its position and gives it the record
 *   now there, so rows rebind their text and none is made; items-changed
 *   only reports rows added or dropped at the end (over every row, GTK would
 *   look for each shown item among all the new ones, one get_item a record,
 *   and make a new row for each item it does not find);
 * - a short list growing long reaches the view GROW_STEP rows an idle up to
 *   GROW_LIMIT, so no frame makes 200 rows at once.
 *
 * The selection is a record, not a position: it moves with its record, and
 * clears only when the filters hide it. */
#include "ecg-record-rows.h"

#include <math.h>
#include <stdlib.h>

#include "ecg-record-item.h"

#define GROW_LIMIT 200
#define GROW_STEP  40

typedef struct
{
  double  key;    /* ascending */
  guint32 index;  /* dataset index */
} Row;

struct _EcgRecordRows
{
  GObject parent_instance;

  EcgDataset        *dataset;    /* borrowed */
  gsize              n_records;
  double            *scores;     /* (n_records) by dataset index */
  EcgRecordRowsQuery query;

  Row               *rows;       /* (n_records), the first n_rows pass the filters */
  guint              n_rows;
  guint              n_items;    /* the rows the view has been told of */
  guint              grow_source;
  EcgRecordItem    **items;      /* (n_records) by position: the live ones (weak) */

  gsize              selected;
  guint              selected_position;
};

enum {
  PROP_0,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void ecg_record_rows_list_model_init      (GListModelInterface        *iface);
static void ecg_record_rows_selection_model_init (GtkSelectionModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EcgRecordRows, ecg_record_rows, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, ecg_record_rows_list_model_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SELECTION_MODEL, ecg_record_rows_selection_model_init))

/* ---- items ---- */

static void
item_finalized (gpointer  user_data,
                GObject  *where_the_object_was)
{
  EcgRecordRows *self = user_data;

  self->items[ecg_record_item_get_position (ECG_RECORD_ITEM (where_the_object_was))] = NULL;
}

/* Items the view still holds outlive the arrays they were made from. */
static void
forget_items (EcgRecordRows *self)
{
  for (gsize p = 0; p < self->n_records; p++)
    if (self->items[p] != NULL)
      {
        g_object_weak_unref (G_OBJECT (self->items[p]), item_finalized, self);
        self->items[p] = NULL;
      }
}

/* ---- the rows told to the view ---- */

static void
set_n_items (EcgRecordRows *self,
             guint          n)
{
  guint old = self->n_items;

  self->n_items = n;
  if (n != old)
    g_list_model_items_changed (G_LIST_MODEL (self), MIN (n, old), old > n ? old - n : 0, n > old ? n - old : 0);
}

static guint
next_n_items (EcgRecordRows *self)
{
  if (self->n_items < GROW_LIMIT && self->n_rows > self->n_items + GROW_STEP)
    return self->n_items + GROW_STEP;
  return self->n_rows;
}

static gboolean
grow_idle (gpointer user_data)
{
  EcgRecordRows *self = user_data;

  set_n_items (self, next_n_items (self));
  if (self->n_items < self->n_rows)
    return G_SOURCE_CONTINUE;
  self->grow_source = 0;
  return G_SOURCE_REMOVE;
}

static void
tell_view (EcgRecordRows *self)
{
  set_n_items (self, next_n_items (self));
  if (self->n_items < self->n_rows && self->grow_source == 0)
    self->grow_source = g_idle_add (grow_idle, self);
}

/* ---- filter, sort, select ---- */

static gboolean
is_row (EcgRecordRows       *self,
        const EcgRecordMeta *meta,
        double               score)
{
  const EcgRecordRowsQuery *query = &self->query;

  /* NaN (unscored) is never flagged */
  return (query->superclass == 0 || (meta->superclass & query->superclass) != 0) &&
         (query->fold == 0 || meta->strat_fold == query->fold) &&
         (!query->flagged_only || score > query->threshold);
}

static double
sort_key (EcgRecordRows       *self,
          const EcgRecordMeta *meta,
          double               score)
{
  if (self->query.sort == ECG_RECORD_LIST_SORT_ID)
    return meta->ecg_id;
  /* highest score first, unscored last */
  return isnan (score) ? INFINITY : -score;
}

static int
compare_rows (const void *a,
              const void *b)
{
  const Row *row_a = a, *row_b = b;

  if (row_a->key != row_b->key)
    return row_a->key < row_b->key ? -1 : 1;
  /* dataset order breaks ties, so the order is total and the same on every re-sort */
  return (row_a->index > row_b->index) - (row_a->index < row_b->index);
}

static guint
find_position (EcgRecordRows *self,
               gsize          index)
{
  for (guint p = 0; p < self->n_rows; p++)
    if (self->rows[p].index == index)
      return p;
  return GTK_INVALID_LIST_POSITION;
}

/* The selection went from position old to the current one; the view only
 * hears of the rows it has. */
static void
selection_moved (EcgRecordRows *self,
                 guint          old)
{
  if (old == self->selected_position)
    return;
  if (old < self->n_items)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), old, 1);
  if (self->selected_position < self->n_items)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), self->selected_position, 1);
}

static void
select_row (EcgRecordRows *self,
            gsize          index,
            guint          position)
{
  guint old = self->selected_position;

  if (index == self->selected)
    return;
  self->selected = index;
  self->selected_position = position;
  selection_moved (self, old);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

void
ecg_record_rows_update (EcgRecordRows *self)
{
  guint old_selected, n = 0;
  gboolean hidden;

  g_return_if_fail (ECG_IS_RECORD_ROWS (self));

  for (gsize i = 0; i < self->n_records; i++)
    {
      const EcgRecordMeta *meta = ecg_dataset_meta (self->dataset, i);
      double score = self->scores[i];

      if (is_row (self, meta, score))
        self->rows[n++] = (Row) { .key = sort_key (self, meta, score), .index = (guint32) i };
    }
  if (n > 1) /* rows is NULL without a dataset, and qsort may not take NULL */
    qsort (self->rows, n, sizeof *self->rows, compare_rows);
  self->n_rows = n;
  old_selected = self->selected_position;
  self->selected_position = find_position (self, self->selected);
  hidden = self->selected_position == GTK_INVALID_LIST_POSITION && self->selected != ECG_RECORD_LIST_NO_INDEX;
  if (hidden)
    self->selected = ECG_RECORD_LIST_NO_INDEX;

  /* past n_items too: the view may ask for those items again as it grows */
  for (guint p = 0; p < n; p++)
    if (self->items[p] != NULL)
      {
        gsize index = self->rows[p].index;

        ecg_record_item_set_record (self->items[p], index, ecg_dataset_meta (self->dataset, index),
                                    self->scores[index]);
      }
  tell_view (self);
  selection_moved (self, old_selected);
  if (hidden)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

/* ---- GListModel ---- */

static GType
ecg_record_rows_get_item_type (GListModel *model)
{
  return ECG_TYPE_RECORD_ITEM;
}

static guint
ecg_record_rows_get_n_items (GListModel *model)
{
  return ECG_RECORD_ROWS (model)->n_items;
}

static gpointer
ecg_record_rows_get_item (GListModel *model,
                          guint       position)
{
  EcgRecordRows *self = ECG_RECORD_ROWS (model);
  EcgRecordItem *item;
  gsize index;

  if (position >= self->n_items)
    return NULL;
  if (self->items[position] != NULL)
    return g_object_ref (self->items[position]);
  index = self->rows[position].index;
  item = ecg_record_item_new (position, index, ecg_dataset_meta (self->dataset, index), self->scores[index]);
  g_object_weak_ref (G_OBJECT (item), item_finalized, self);
  self->items[position] = item;
  return item;
}

static void
ecg_record_rows_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ecg_record_rows_get_item_type;
  iface->get_n_items = ecg_record_rows_get_n_items;
  iface->get_item = ecg_record_rows_get_item;
}

/* ---- GtkSelectionModel: one row at most ---- */

static gboolean
ecg_record_rows_is_selected (GtkSelectionModel *model,
                             guint              position)
{
  return position == ECG_RECORD_ROWS (model)->selected_position;
}

static gboolean
ecg_record_rows_select_item (GtkSelectionModel *model,
                             guint              position,
                             gboolean           unselect_rest)
{
  EcgRecordRows *self = ECG_RECORD_ROWS (model);

  if (position >= self->n_rows)
    return FALSE;
  select_row (self, self->rows[position].index, position);
  return TRUE;
}

static gboolean
ecg_record_rows_unselect_item (GtkSelectionModel *model,
                               guint              position)
{
  EcgRecordRows *self = ECG_RECORD_ROWS (model);

  if (position != self->selected_position)
    return FALSE;
  select_row (self, ECG_RECORD_LIST_NO_INDEX, GTK_INVALID_LIST_POSITION);
  return TRUE;
}

static void
ecg_record_rows_selection_model_init (GtkSelectionModelInterface *iface)
{
  iface->is_selected = ecg_record_rows_is_selected;
  iface->select_item = ecg_record_rows_select_item;
  iface->unselect_item = ecg_record_rows_unselect_item;
}

/* ---- GObject ---- */

static void
ecg_record_rows_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EcgRecordRows *self = ECG_RECORD_ROWS (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      g_value_set_uint64 (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_record_rows_dispose (GObject *object)
{
  EcgRecordRows *self = ECG_RECORD_ROWS (object);

  g_clear_handle_id (&self->grow_source, g_source_remove);
  forget_items (self);
  G_OBJECT_CLASS (ecg_record_rows_parent_class)->dispose (object);
}

static void
ecg_record_rows_finalize (GObject *object)
{
  EcgRecordRows *self = ECG_RECORD_ROWS (object);

  g_free (self->scores);
  g_free (self->rows);
  g_free (self->items);
  G_OBJECT_CLASS (ecg_record_rows_parent_class)->finalize (object);
}

static void
ecg_record_rows_class_init (EcgRecordRowsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ecg_record_rows_get_property;
  object_class->dispose = ecg_record_rows_dispose;
  object_class->finalize = ecg_record_rows_finalize;

  properties[PROP_SELECTED] =
    g_param_spec_uint64 ("selected", NULL, NULL, 0, G_MAXUINT64, ECG_RECORD_LIST_NO_INDEX,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ecg_record_rows_init (EcgRecordRows *self)
{
  self->query.threshold = G_MAXDOUBLE;
  self->selected = ECG_RECORD_LIST_NO_INDEX;
  self->selected_position = GTK_INVALID_LIST_POSITION;
}

EcgRecordRows *
ecg_record_rows_new (void)
{
  return g_object_new (ECG_TYPE_RECORD_ROWS, NULL);
}

/* ---- API ---- */

void
ecg_record_rows_set_dataset (EcgRecordRows *self,
                             EcgDataset    *dataset)
{
  g_return_if_fail (ECG_IS_RECORD_ROWS (self));

  select_row (self, ECG_RECORD_LIST_NO_INDEX, GTK_INVALID_LIST_POSITION);
  /* empty in between: replacing the rows the view has would make it look for
   * them among all the new rows (see the top) */
  self->n_rows = 0;
  set_n_items (self, 0);
  forget_items (self);

  self->dataset = dataset;
  self->n_records = dataset ? ecg_dataset_count (dataset) : 0;
  g_free (self->scores);
  g_free (self->rows);
  g_free (self->items);
  self->scores = g_new (double, self->n_records);
  self->rows = g_new (Row, self->n_records);
  self->items = g_new0 (EcgRecordItem *, self->n_records);
  for (gsize i = 0; i < self->n_records; i++)
    self->scores[i] = NAN;
  ecg_record_rows_update (self);
}

gsize
ecg_record_rows_get_n_records (EcgRecordRows *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), 0);

  return self->n_records;
}

void
ecg_record_rows_set_scores (EcgRecordRows *self,
                            gsize          first,
                            const double  *scores,
                            gsize          count)
{
  g_return_if_fail (ECG_IS_RECORD_ROWS (self));
  g_return_if_fail (first <= self->n_records && count <= self->n_records - first);

  for (gsize i = 0; i < count; i++)
    self->scores[first + i] = scores ? scores[i] : NAN;
  for (guint p = 0; p < self->n_rows; p++)
    {
      gsize index = self->rows[p].index;

      if (self->items[p] != NULL && index >= first && index < first + count)
        ecg_record_item_set_score (self->items[p], self->scores[index]);
    }
}

const double *
ecg_record_rows_get_scores (EcgRecordRows *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), NULL);

  return self->scores;
}

void
ecg_record_rows_set_query (EcgRecordRows            *self,
                           const EcgRecordRowsQuery *query)
{
  g_return_if_fail (ECG_IS_RECORD_ROWS (self));
  g_return_if_fail (query != NULL);

  self->query = *query;
  ecg_record_rows_update (self);
}

guint
ecg_record_rows_get_n_rows (EcgRecordRows *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), 0);

  return self->n_rows;
}

void
ecg_record_rows_tell_all (EcgRecordRows *self)
{
  g_return_if_fail (ECG_IS_RECORD_ROWS (self));

  g_clear_handle_id (&self->grow_source, g_source_remove);
  set_n_items (self, self->n_rows);
}

gsize
ecg_record_rows_get_index (EcgRecordRows *self,
                           guint          position)
{
  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), ECG_RECORD_LIST_NO_INDEX);

  return position < self->n_rows ? self->rows[position].index : ECG_RECORD_LIST_NO_INDEX;
}

gsize
ecg_record_rows_get_selected (EcgRecordRows *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), ECG_RECORD_LIST_NO_INDEX);

  return self->selected;
}

guint
ecg_record_rows_get_selected_position (EcgRecordRows *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), GTK_INVALID_LIST_POSITION);

  return self->selected_position;
}

gboolean
ecg_record_rows_select_index (EcgRecordRows *self,
                              gsize          index)
{
  guint position;

  g_return_val_if_fail (ECG_IS_RECORD_ROWS (self), FALSE);

  position = find_position (self, index);
  select_row (self, position != GTK_INVALID_LIST_POSITION ? index : ECG_RECORD_LIST_NO_INDEX, position);
  return position != GTK_INVALID_LIST_POSITION;
}
