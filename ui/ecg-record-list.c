/* ecg-record-list.c — the records of a dataset as a filterable, sortable table.
 *
 * A GtkColumnView over EcgRecordRows, which filters and sorts the dataset on
 * plain arrays, makes items only for the rows shown and keeps the selection
 * by record. A row keeps its cells when the rows re-sort: each cell follows
 * its item's record ("index") and the live ones (score bar and verdict) its
 * "score" and the list's "threshold" and "score-scale", so a new τ redraws
 * the visible rows, not 21,799. Scores arriving in batches update the rows
 * shown at once and re-order them at most every RESORT_INTERVAL_MS. */
#include "ecg-record-list.h"

#include <math.h>

#include "ecg-record-item.h"
#include "ecg-record-rows.h"

struct _EcgRecordList
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkDropDown     *superclass_dropdown;
  GtkDropDown     *fold_dropdown;
  GtkToggleButton *flagged_button;
  GtkDropDown     *sort_dropdown;
  GtkColumnView   *column_view;
  GtkLabel        *status_label;

  /* Owned */
  EcgRecordRows *rows;

  /* Borrowed: for text read on demand */
  EcgDataset *dataset;

  /* Re-ordering for new scores, at most every RESORT_INTERVAL_MS */
  guint resort_source;

  /* Filters, sort and τ */
  EcgRecordRowsQuery query;
  double             score_scale;
};

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_SCORE_SCALE,
  PROP_SUPERCLASS_FILTER,
  PROP_FOLD_FILTER,
  PROP_FLAGGED_ONLY,
  PROP_SORT,
  PROP_SELECTED_INDEX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EcgRecordList, ecg_record_list, GTK_TYPE_WIDGET)

/* Rows that move under the pointer are hard to read and to click: scores
 * arriving ten times a second move the rows once a second, while the bound
 * cells show each score as it comes. */
#define RESORT_INTERVAL_MS 1000

static gboolean
is_flagged (EcgRecordList *self,
            double         score)
{
  /* NaN (unscored) compares false */
  return score > self->query.threshold;
}

/* ---- status ---- */

static void
update_status (EcgRecordList *self)
{
  gsize n = ecg_record_rows_get_n_records (self->rows);
  const double *scores = ecg_record_rows_get_scores (self->rows);
  guint shown = ecg_record_rows_get_n_rows (self->rows);
  gsize scored = 0, flagged = 0;
  g_autoptr(GString) text = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    {
      scored += !isnan (scores[i]);
      flagged += is_flagged (self, scores[i]);
    }
  if (shown < n)
    g_string_append_printf (text, "%u of ", shown);
  g_string_append_printf (text, "%zu record%s", n, n == 1 ? "" : "s");
  if (scored > 0)
    g_string_append_printf (text, " · %zu flagged at τ %.3g", flagged, self->query.threshold);
  if (scored > 0 && scored < n)
    g_string_append_printf (text, " · %zu scored", scored);
  gtk_label_set_text (self->status_label, text->str);
}

/* ---- selection ---- */

/* GtkColumnView has no scroll-to before GTK 4.12: its rows are a GtkListView
 * child, whose list.scroll-to-item action does it. */
static void
scroll_to (EcgRecordList *self,
           guint          position)
{
  /* a long list reaches the view in steps; a row it has yet to hear of is told now */
  if (position >= g_list_model_get_n_items (G_LIST_MODEL (self->rows)))
    ecg_record_rows_tell_all (self->rows);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", position);
}

static void
select_position (EcgRecordList *self,
                 guint          position)
{
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->rows), position, TRUE);
  scroll_to (self, position);
}

/* The rows keep the selection; the list only relays it. */
static void
selected_changed (EcgRecordList *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_INDEX]);
}

/* ---- cells ---- */

/* Cell widgets know their list from setup on, before they are in its hierarchy. */
static void
cell_set_list (GtkWidget     *widget,
               EcgRecordList *self)
{
  g_object_set_data (G_OBJECT (widget), "ecg-record-list", self);
}

static EcgRecordList *
cell_list (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "ecg-record-list");
}

static EcgRecordItem *
cell_item (GtkListItem *list_item)
{
  return ECG_RECORD_ITEM (gtk_list_item_get_item (list_item));
}

static GtkInscription *
cell_text (GtkListItem *list_item)
{
  return GTK_INSCRIPTION (gtk_list_item_get_child (list_item));
}

/* Text in a cell is a GtkInscription, chars wide: unlike a label's, its size
 * does not follow its text, so a re-sort that gives every row new text (the
 * 200 rows GtkListView keeps) redraws them without measuring them again. */
static GtkWidget *
new_text (float xalign,
          guint chars)
{
  GtkWidget *text = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (text), xalign);
  gtk_inscription_set_min_chars (GTK_INSCRIPTION (text), chars);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (text), chars);
  return text;
}

static void
setup_number_cell (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   EcgRecordList            *self)
{
  /* "21837", "100 F" */
  GtkWidget *text = new_text (1.0, 6);

  gtk_widget_add_css_class (text, "numeric");
  gtk_list_item_set_child (list_item, text);
}

static void
refresh_id_cell (GtkListItem *list_item)
{
  char text[16];

  g_snprintf (text, sizeof text, "%d", ecg_record_item_get_meta (cell_item (list_item))->ecg_id);
  gtk_inscription_set_text (cell_text (list_item), text);
}

static void
refresh_superclass_cell (GtkListItem *list_item)
{
  guint mask = ecg_record_item_get_meta (cell_item (list_item))->superclass;
  g_autoptr(GString) text = g_string_new (NULL);

  for (int k = 0; k < ECG_N_SUPERCLASSES; k++)
    if (mask & (1u << k))
      g_string_append_printf (text, "%s%s", text->len ? ", " : "", ecg_superclass_names[k]);
  gtk_inscription_set_text (cell_text (list_item), text->len ? text->str : "—");
}

/* The record's SCP codes, read from the dataset only when asked for. */
static gboolean
superclass_tooltip (GtkWidget     *text,
                    int            x,
                    int            y,
                    gboolean       keyboard,
                    GtkTooltip    *tooltip,
                    GtkListItem   *list_item)
{
  EcgRecordList *self = cell_list (text);
  EcgRecordItem *item = cell_item (list_item);
  char codes[512];

  if (self->dataset == NULL || item == NULL ||
      ecg_dataset_read_text (self->dataset, ecg_record_item_get_index (item), ECG_COL_SCP_CODES, codes,
                             sizeof codes, NULL) != 0 || codes[0] == '\0')
    return FALSE;
  gtk_tooltip_set_text (tooltip, codes);
  return TRUE;
}

static void
setup_superclass_cell (GtkSignalListItemFactory *factory,
                       GtkListItem              *list_item,
                       EcgRecordList            *self)
{
  /* "NORM", "MI, STTC" in full; the column takes the width left */
  GtkWidget *text = new_text (0.0, 8);

  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (text), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_widget_set_has_tooltip (text, TRUE);
  cell_set_list (text, self);
  g_signal_connect_object (text, "query-tooltip", G_CALLBACK (superclass_tooltip), list_item, 0);
  gtk_list_item_set_child (list_item, text);
}

static void
refresh_age_sex_cell (GtkListItem *list_item)
{
  const EcgRecordMeta *meta = ecg_record_item_get_meta (cell_item (list_item));
  const char *sex = meta->sex == 0 ? "M" : meta->sex == 1 ? "F" : "?";
  char text[32];

  if (isnan (meta->age))
    g_snprintf (text, sizeof text, "— %s", sex);
  else
    g_snprintf (text, sizeof text, "%.0f %s", meta->age, sex);
  gtk_inscription_set_text (cell_text (list_item), text);
}

/* Theme colours for the bar: the text colour, and whether it is light (dark style). */
static void
bar_colors (GtkWidget *widget,
            GdkRGBA   *fg,
            gboolean  *dark)
{
  /* gtk_widget_get_color () replaces this from GTK 4.10; 4.8 is the minimum */
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), fg);
G_GNUC_END_IGNORE_DEPRECATIONS
  *dark = 0.2126 * fg->red + 0.7152 * fg->green + 0.0722 * fg->blue > 0.5;
}

static void
rounded_bar (cairo_t *cr,
             double   width,
             double   height)
{
  double r = MIN (height / 2, width / 2);

  cairo_new_sub_path (cr);
  cairo_arc (cr, width - r, r, r, -G_PI / 2, G_PI / 2);
  cairo_arc (cr, r, height - r, r, G_PI / 2, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* The score on the model's fixed scale: a grey track, the bar (red when
 * flagged) and a tick at τ, so the distance to the threshold reads at a glance. */
static void
draw_score_bar (GtkDrawingArea *area,
                cairo_t        *cr,
                int             width,
                int             height,
                gpointer        user_data)
{
  GtkListItem *list_item = user_data;
  EcgRecordList *self = cell_list (GTK_WIDGET (area));
  EcgRecordItem *item = cell_item (list_item);
  double score, bar_h = 6, top = (height - bar_h) / 2;
  GdkRGBA fg;
  gboolean dark;

  if (item == NULL)
    return;
  score = ecg_record_item_get_score (item);
  bar_colors (GTK_WIDGET (area), &fg, &dark);

  cairo_save (cr);
  cairo_translate (cr, 0, top);
  rounded_bar (cr, width, bar_h);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.12);
  cairo_fill (cr);
  if (!isnan (score) && score > 0)
    {
      double w = MAX (bar_h, width * MIN (score / self->score_scale, 1.0));

      rounded_bar (cr, w, bar_h);
      if (is_flagged (self, score))
        {
          /* Adwaita's destructive red, lighter on dark backgrounds */
          if (dark)
            cairo_set_source_rgb (cr, 1.0, 0.482, 0.388);
          else
            cairo_set_source_rgb (cr, 0.753, 0.110, 0.157);
        }
      else
        cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.45);
      cairo_fill (cr);
    }
  cairo_restore (cr);

  if (isfinite (self->query.threshold) && self->query.threshold >= 0 && self->query.threshold <= self->score_scale)
    {
      double x = round (width * self->query.threshold / self->score_scale) - 0.5;

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
      cairo_set_line_width (cr, 1.0);
      cairo_move_to (cr, CLAMP (x, 0.5, width - 0.5), top - 2);
      cairo_rel_line_to (cr, 0, bar_h + 4);
      cairo_stroke (cr);
    }
}

static void
setup_score_cell (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  EcgRecordList            *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *bar = gtk_drawing_area_new ();
  /* room for "10.000" so the bars line up */
  GtkWidget *text = new_text (1.0, 6);

  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (bar), 64);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (bar), 12);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (bar, TRUE);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (bar), draw_score_bar, list_item, NULL);
  cell_set_list (bar, self);
  gtk_widget_add_css_class (text, "numeric");
  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), text);
  gtk_list_item_set_child (list_item, box);
}

static void
refresh_score_cell (GtkListItem *list_item)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *bar = gtk_widget_get_first_child (box);
  double score = ecg_record_item_get_score (cell_item (list_item));
  char text[32];

  if (isnan (score))
    g_strlcpy (text, "—", sizeof text);
  else
    g_snprintf (text, sizeof text, "%.3f", score);
  gtk_inscription_set_text (GTK_INSCRIPTION (gtk_widget_get_next_sibling (bar)), text);
  gtk_widget_queue_draw (bar);
}

static void
setup_verdict_cell (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    EcgRecordList            *self)
{
  /* "Flagged" */
  GtkWidget *text = new_text (0.0, 7);

  cell_set_list (text, self);
  gtk_list_item_set_child (list_item, text);
}

static void
refresh_verdict_cell (GtkListItem *list_item)
{
  GtkWidget *text = gtk_list_item_get_child (list_item);
  double score = ecg_record_item_get_score (cell_item (list_item));
  gboolean flagged = is_flagged (cell_list (text), score);

  gtk_inscription_set_text (GTK_INSCRIPTION (text), isnan (score) ? "—" : flagged ? "Flagged" : "Normal");
  if (flagged)
    gtk_widget_add_css_class (text, "error");
  else
    gtk_widget_remove_css_class (text, "error");
  if (isnan (score))
    gtk_widget_add_css_class (text, "dim-label");
  else
    gtk_widget_remove_css_class (text, "dim-label");
}

typedef void (*CellRefresh) (GtkListItem *list_item);

/* A row shows another record after a re-order, with the same cells: a cell
 * follows its item's record while it is bound. */
static void
bind_record_cell (GtkListItem *list_item,
                  CellRefresh  refresh)
{
  g_signal_connect_object (cell_item (list_item), "notify::index", G_CALLBACK (refresh), list_item,
                           G_CONNECT_SWAPPED);
  refresh (list_item);
}

/* A live cell follows its item's score and the list's threshold and scale. */
static void
bind_live_cell (EcgRecordList *self,
                GtkListItem   *list_item,
                CellRefresh    refresh)
{
  g_signal_connect_object (cell_item (list_item), "notify::score", G_CALLBACK (refresh), list_item,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::threshold", G_CALLBACK (refresh), list_item, G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::score-scale", G_CALLBACK (refresh), list_item, G_CONNECT_SWAPPED);
  refresh (list_item);
}

static void
bind_id_cell (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              EcgRecordList            *self)
{
  bind_record_cell (list_item, refresh_id_cell);
}

static void
bind_superclass_cell (GtkSignalListItemFactory *factory,
                      GtkListItem              *list_item,
                      EcgRecordList            *self)
{
  bind_record_cell (list_item, refresh_superclass_cell);
}

static void
bind_age_sex_cell (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   EcgRecordList            *self)
{
  bind_record_cell (list_item, refresh_age_sex_cell);
}

static void
bind_score_cell (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 EcgRecordList            *self)
{
  bind_live_cell (self, list_item, refresh_score_cell);
}

static void
bind_verdict_cell (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   EcgRecordList            *self)
{
  bind_live_cell (self, list_item, refresh_verdict_cell);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             EcgRecordList            *self)
{
  g_signal_handlers_disconnect_by_data (cell_item (list_item), list_item);
  g_signal_handlers_disconnect_by_data (self, list_item);
}

/* ---- the filter bar ---- */

static void
superclass_selected (EcgRecordList *self)
{
  guint selected = gtk_drop_down_get_selected (self->superclass_dropdown);

  ecg_record_list_set_superclass_filter (self, selected == 0 || selected == GTK_INVALID_LIST_POSITION
                                                 ? 0 : 1u << (selected - 1));
}

static void
fold_selected (EcgRecordList *self)
{
  guint selected = gtk_drop_down_get_selected (self->fold_dropdown);

  ecg_record_list_set_fold_filter (self, selected == GTK_INVALID_LIST_POSITION ? 0 : (int) selected);
}

static void
flagged_toggled (EcgRecordList *self)
{
  ecg_record_list_set_flagged_only (self, gtk_toggle_button_get_active (self->flagged_button));
}

static void
sort_selected (EcgRecordList *self)
{
  ecg_record_list_set_sort (self, gtk_drop_down_get_selected (self->sort_dropdown) == 1 ? ECG_RECORD_LIST_SORT_ID
                                                                                       : ECG_RECORD_LIST_SORT_SCORE);
}

/* The filters or the sort changed: the rows follow at once, scrolled to the
 * selected record, or else to the first rows. */
static void
requery (EcgRecordList *self)
{
  guint position;

  g_clear_handle_id (&self->resort_source, g_source_remove);
  ecg_record_rows_set_query (self->rows, &self->query);
  position = ecg_record_rows_get_selected_position (self->rows);
  if (ecg_record_rows_get_n_rows (self->rows) > 0)
    scroll_to (self, position != GTK_INVALID_LIST_POSITION ? position : 0);
  update_status (self);
}

/* ---- GObject ---- */

static void
ecg_record_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EcgRecordList *self = ECG_RECORD_LIST (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD:
      g_value_set_double (value, self->query.threshold);
      break;
    case PROP_SCORE_SCALE:
      g_value_set_double (value, self->score_scale);
      break;
    case PROP_SUPERCLASS_FILTER:
      g_value_set_uint (value, self->query.superclass);
      break;
    case PROP_FOLD_FILTER:
      g_value_set_int (value, self->query.fold);
      break;
    case PROP_FLAGGED_ONLY:
      g_value_set_boolean (value, self->query.flagged_only);
      break;
    case PROP_SORT:
      g_value_set_uint (value, self->query.sort);
      break;
    case PROP_SELECTED_INDEX:
      g_value_set_uint64 (value, ecg_record_rows_get_selected (self->rows));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_record_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EcgRecordList *self = ECG_RECORD_LIST (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD:
      ecg_record_list_set_threshold (self, g_value_get_double (value));
      break;
    case PROP_SCORE_SCALE:
      ecg_record_list_set_score_scale (self, g_value_get_double (value));
      break;
    case PROP_SUPERCLASS_FILTER:
      ecg_record_list_set_superclass_filter (self, g_value_get_uint (value));
      break;
    case PROP_FOLD_FILTER:
      ecg_record_list_set_fold_filter (self, g_value_get_int (value));
      break;
    case PROP_FLAGGED_ONLY:
      ecg_record_list_set_flagged_only (self, g_value_get_boolean (value));
      break;
    case PROP_SORT:
      ecg_record_list_set_sort (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_record_list_dispose (GObject *object)
{
  EcgRecordList *self = ECG_RECORD_LIST (object);
  GtkWidget *child;

  g_clear_handle_id (&self->resort_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), ECG_TYPE_RECORD_LIST);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->rows);
  self->dataset = NULL;
  G_OBJECT_CLASS (ecg_record_list_parent_class)->dispose (object);
}

static void
ecg_record_list_class_init (EcgRecordListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ecg_record_list_get_property;
  object_class->set_property = ecg_record_list_set_property;
  object_class->dispose = ecg_record_list_dispose;

  properties[PROP_THRESHOLD] =
    g_param_spec_double ("threshold", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCORE_SCALE] =
    g_param_spec_double ("score-scale", NULL, NULL, 0.0, G_MAXDOUBLE, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUPERCLASS_FILTER] =
    g_param_spec_uint ("superclass-filter", NULL, NULL, 0, ECG_SC_HYP, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLD_FILTER] =
    g_param_spec_int ("fold-filter", NULL, NULL, 0, 10, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FLAGGED_ONLY] =
    g_param_spec_boolean ("flagged-only", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SORT] =
    g_param_spec_uint ("sort", NULL, NULL, ECG_RECORD_LIST_SORT_SCORE, ECG_RECORD_LIST_SORT_ID,
                       ECG_RECORD_LIST_SORT_SCORE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED_INDEX] =
    g_param_spec_uint64 ("selected-index", NULL, NULL, 0, G_MAXUINT64, ECG_RECORD_LIST_NO_INDEX,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ecglens/Ecglens/ecg-record-list.ui");
  gtk_widget_class_bind_template_child (widget_class, EcgRecordList, superclass_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EcgRecordList, fold_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EcgRecordList, flagged_button);
  gtk_widget_class_bind_template_child (widget_class, EcgRecordList, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EcgRecordList, column_view);
  gtk_widget_class_bind_template_child (widget_class, EcgRecordList, status_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_verdict_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_number_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_superclass_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_score_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_id_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_superclass_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_age_sex_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_score_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_verdict_cell);
  gtk_widget_class_bind_template_callback (widget_class, unbind_cell);
  gtk_widget_class_bind_template_callback (widget_class, superclass_selected);
  gtk_widget_class_bind_template_callback (widget_class, fold_selected);
  gtk_widget_class_bind_template_callback (widget_class, flagged_toggled);
  gtk_widget_class_bind_template_callback (widget_class, sort_selected);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "ecgrecordlist");
}

static void
ecg_record_list_init (EcgRecordList *self)
{
  self->query.threshold = G_MAXDOUBLE;
  self->score_scale = 1.0;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = ecg_record_rows_new ();
  ecg_record_rows_set_query (self->rows, &self->query);
  g_signal_connect_object (self->rows, "notify::selected", G_CALLBACK (selected_changed), self, G_CONNECT_SWAPPED);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->rows));
  update_status (self);
}

GtkWidget *
ecg_record_list_new (void)
{
  return g_object_new (ECG_TYPE_RECORD_LIST, NULL);
}

/* ---- API ---- */

void
ecg_record_list_set_dataset (EcgRecordList *self,
                             EcgDataset    *dataset)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));

  g_clear_handle_id (&self->resort_source, g_source_remove);
  self->dataset = dataset;
  ecg_record_rows_set_dataset (self->rows, dataset);
  update_status (self);
}

/* Filter and sort by the scores as they are now. */
static void
apply_scores (EcgRecordList *self)
{
  g_clear_handle_id (&self->resort_source, g_source_remove);
  ecg_record_rows_update (self->rows);
  update_status (self);
}

static gboolean
resort_timeout (gpointer user_data)
{
  EcgRecordList *self = user_data;

  self->resort_source = 0;
  apply_scores (self);
  return G_SOURCE_REMOVE;
}

/* The visible order must be current before anything reads or walks it. */
static void
flush_scores (EcgRecordList *self)
{
  if (self->resort_source != 0)
    apply_scores (self);
}

/* Scores changed: the order follows at once or, for a batch of a running
 * job, with the next re-sort. */
static void
scores_changed (EcgRecordList *self,
                gboolean       at_once)
{
  if (at_once)
    apply_scores (self);
  else
    {
      if (self->resort_source == 0 && (self->query.flagged_only || self->query.sort == ECG_RECORD_LIST_SORT_SCORE))
        self->resort_source = g_timeout_add (RESORT_INTERVAL_MS, resort_timeout, self);
      update_status (self);
    }
}

void
ecg_record_list_update_scores (EcgRecordList *self,
                               gsize          first,
                               const double  *record_score,
                               gsize          count)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));
  g_return_if_fail (first <= ecg_record_rows_get_n_records (self->rows) &&
                    count <= ecg_record_rows_get_n_records (self->rows) - first);
  g_return_if_fail (record_score != NULL || count == 0);

  ecg_record_rows_set_scores (self->rows, first, record_score, count);
  scores_changed (self, FALSE);
}

void
ecg_record_list_set_scores (EcgRecordList *self,
                            const double  *record_score,
                            gsize          n)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));
  g_return_if_fail (n == ecg_record_rows_get_n_records (self->rows));
  g_return_if_fail (record_score != NULL || n == 0);

  ecg_record_rows_set_scores (self->rows, 0, record_score, n);
  scores_changed (self, TRUE);
}

void
ecg_record_list_clear_scores (EcgRecordList *self)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));

  ecg_record_rows_set_scores (self->rows, 0, NULL, ecg_record_rows_get_n_records (self->rows));
  scores_changed (self, TRUE);
}

void
ecg_record_list_set_threshold (EcgRecordList *self,
                               double         tau)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));

  if (tau == self->query.threshold)
    return;
  self->query.threshold = tau;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THRESHOLD]);
  if (self->query.flagged_only)
    requery (self);
  else
    update_status (self);
}

double
ecg_record_list_get_threshold (EcgRecordList *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), 0.0);

  return self->query.threshold;
}

void
ecg_record_list_set_score_scale (EcgRecordList *self,
                                 double         max)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));
  g_return_if_fail (max > 0);

  if (max == self->score_scale)
    return;
  self->score_scale = max;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCORE_SCALE]);
}

void
ecg_record_list_set_superclass_filter (EcgRecordList *self,
                                       guint          superclass)
{
  guint position = 0;

  g_return_if_fail (ECG_IS_RECORD_LIST (self));
  /* the bar offers one superclass at a time */
  g_return_if_fail (superclass == 0 || (superclass < (1u << ECG_N_SUPERCLASSES) && (superclass & (superclass - 1)) == 0));

  if (superclass == self->query.superclass)
    return;
  self->query.superclass = superclass;
  while (superclass >> position)
    position++;
  gtk_drop_down_set_selected (self->superclass_dropdown, position);
  requery (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUPERCLASS_FILTER]);
}

void
ecg_record_list_set_fold_filter (EcgRecordList *self,
                                 int            fold)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));
  g_return_if_fail (fold >= 0 && fold <= 10);

  if (fold == self->query.fold)
    return;
  self->query.fold = fold;
  gtk_drop_down_set_selected (self->fold_dropdown, fold);
  requery (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLD_FILTER]);
}

void
ecg_record_list_set_flagged_only (EcgRecordList *self,
                                  gboolean       flagged_only)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));

  flagged_only = !!flagged_only;
  if (flagged_only == self->query.flagged_only)
    return;
  self->query.flagged_only = flagged_only;
  gtk_toggle_button_set_active (self->flagged_button, flagged_only);
  requery (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLAGGED_ONLY]);
}

void
ecg_record_list_set_sort (EcgRecordList     *self,
                          EcgRecordListSort  sort)
{
  g_return_if_fail (ECG_IS_RECORD_LIST (self));
  g_return_if_fail (sort == ECG_RECORD_LIST_SORT_SCORE || sort == ECG_RECORD_LIST_SORT_ID);

  if (sort == self->query.sort)
    return;
  self->query.sort = sort;
  gtk_drop_down_set_selected (self->sort_dropdown, sort == ECG_RECORD_LIST_SORT_ID ? 1 : 0);
  requery (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT]);
}

gsize
ecg_record_list_get_selected_index (EcgRecordList *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), ECG_RECORD_LIST_NO_INDEX);

  return ecg_record_rows_get_selected (self->rows);
}

gboolean
ecg_record_list_select_index (EcgRecordList *self,
                              gsize          index)
{
  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), FALSE);
  flush_scores (self);

  if (!ecg_record_rows_select_index (self->rows, index))
    return FALSE;
  scroll_to (self, ecg_record_rows_get_selected_position (self->rows));
  return TRUE;
}

gboolean
ecg_record_list_step (EcgRecordList *self,
                      int            delta)
{
  guint n, position;
  gint64 target;

  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), FALSE);
  flush_scores (self);

  n = ecg_record_rows_get_n_rows (self->rows);
  position = ecg_record_rows_get_selected_position (self->rows);
  if (n == 0 || delta == 0)
    return FALSE;
  if (position == GTK_INVALID_LIST_POSITION)
    target = delta > 0 ? 0 : (gint64) n - 1;
  else
    target = (gint64) position + delta;
  if (target < 0 || target >= n)
    return FALSE;
  select_position (self, (guint) target);
  return TRUE;
}

gboolean
ecg_record_list_step_flagged (EcgRecordList *self,
                              int            delta)
{
  const double *scores;
  guint position;
  gint64 n, step, target;

  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), FALSE);
  flush_scores (self);

  scores = ecg_record_rows_get_scores (self->rows);
  n = ecg_record_rows_get_n_rows (self->rows);
  position = ecg_record_rows_get_selected_position (self->rows);
  step = delta < 0 ? -1 : 1;
  if (position == GTK_INVALID_LIST_POSITION)
    target = delta > 0 ? 0 : n - 1;
  else
    target = (gint64) position + step;
  for (; target >= 0 && target < n; target += step)
    if (is_flagged (self, scores[ecg_record_rows_get_index (self->rows, (guint) target)]))
      {
        select_position (self, (guint) target);
        return TRUE;
      }
  return FALSE;
}

guint
ecg_record_list_get_n_visible (EcgRecordList *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), 0);
  flush_scores (self);

  return ecg_record_rows_get_n_rows (self->rows);
}

gsize
ecg_record_list_get_visible_index (EcgRecordList *self,
                                   guint          position)
{
  g_return_val_if_fail (ECG_IS_RECORD_LIST (self), ECG_RECORD_LIST_NO_INDEX);
  flush_scores (self);

  return ecg_record_rows_get_index (self->rows, position);
}
