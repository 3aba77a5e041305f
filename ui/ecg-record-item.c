/* ecg-record-item.c — one row of the record list and the record it shows.
 *
 * A row keeps its item while the list re-sorts: the item takes the record
 * now at its position, and the cells bound to it follow its notifications.
 * Items copy the few bytes of metadata they show, so they stay valid after the
 * dataset they came from is closed. */
#include "ecg-record-item.h"

#include <math.h>

struct _EcgRecordItem
{
  GObject parent_instance;

  guint         position;
  gsize         index;
  EcgRecordMeta meta;
  double        score;
};

enum {
  PROP_0,
  PROP_INDEX,
  PROP_SCORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EcgRecordItem, ecg_record_item, G_TYPE_OBJECT)

static void
ecg_record_item_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EcgRecordItem *self = ECG_RECORD_ITEM (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      g_value_set_uint64 (value, self->index);
      break;
    case PROP_SCORE:
      g_value_set_double (value, self->score);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_record_item_class_init (EcgRecordItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ecg_record_item_get_property;

  properties[PROP_INDEX] =
    g_param_spec_uint64 ("index", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCORE] =
    g_param_spec_double ("score", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ecg_record_item_init (EcgRecordItem *self)
{
  self->score = NAN;
}

EcgRecordItem *
ecg_record_item_new (guint                position,
                     gsize                index,
                     const EcgRecordMeta *meta,
                     double               score)
{
  EcgRecordItem *self;

  g_return_val_if_fail (meta != NULL, NULL);

  self = g_object_new (ECG_TYPE_RECORD_ITEM, NULL);
  self->position = position;
  self->index = index;
  self->meta = *meta;
  self->score = score;
  return self;
}

guint
ecg_record_item_get_position (EcgRecordItem *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ITEM (self), 0);

  return self->position;
}

void
ecg_record_item_set_record (EcgRecordItem       *self,
                            gsize                index,
                            const EcgRecordMeta *meta,
                            double               score)
{
  g_return_if_fail (ECG_IS_RECORD_ITEM (self));
  g_return_if_fail (meta != NULL);

  if (index != self->index)
    {
      self->index = index;
      self->meta = *meta;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEX]);
    }
  ecg_record_item_set_score (self, score);
}

gsize
ecg_record_item_get_index (EcgRecordItem *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ITEM (self), 0);

  return self->index;
}

const EcgRecordMeta *
ecg_record_item_get_meta (EcgRecordItem *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ITEM (self), NULL);

  return &self->meta;
}

double
ecg_record_item_get_score (EcgRecordItem *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_ITEM (self), NAN);

  return self->score;
}

void
ecg_record_item_set_score (EcgRecordItem *self,
                           double         score)
{
  g_return_if_fail (ECG_IS_RECORD_ITEM (self));

  /* NaN to NaN is no change */
  if (score == self->score || (isnan (score) && isnan (self->score)))
    return;
  self->score = score;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCORE]);
}
