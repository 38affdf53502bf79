"""The catalogue's data model: models, their routes and the price books that sell them.

Everything here is validated on load (SPEC section 3). The model definitions (what a model
is and how each provider reaches it) live in `resources/catalogue/models.yaml`; a price book
(`resources/catalogue/price_books/*.yaml`) says which models it sells, at which durations and
resolutions, and at what price.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AdapterName = Literal["fal", "kie", "gemini", "kling", "pollo", "runway"]
PositiveDecimal = Annotated[Decimal, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageInput(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"


class Route(_Strict):
    """How a model is reached through one provider adapter."""

    name: str = Field(min_length=1, description="unique within the model, e.g. 'fal'")
    adapter: AdapterName
    provider_model: str = Field(min_length=1, description="the provider's own model id")
    durations: tuple[int, ...] = Field(min_length=1, description="seconds the provider accepts")
    resolutions: tuple[str, ...] = Field(min_length=1)
    # Some providers restrict a resolution to certain durations (Gemini Veo: 1080p at 8 s).
    resolution_durations: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    cost_usd_per_second: dict[str, PositiveDecimal] = Field(
        min_length=1, description="provider cost per output second, by resolution or 'default'"
    )
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="fixed parameters this route always sends"
    )
    image_transport: Literal["url", "data_url", "base64"] = "url"

    def cost_per_second(self, resolution: str) -> Decimal:
        if resolution in self.cost_usd_per_second:
            return self.cost_usd_per_second[resolution]
        if "default" in self.cost_usd_per_second:
            return self.cost_usd_per_second["default"]
        raise KeyError(f"route {self.name} has no cost for {resolution}")

    def rejects(self, duration_s: int, resolution: str) -> str | None:
        """Why this route cannot render the combination, or None if it can."""
        if resolution not in self.resolutions:
            return f"{self.name} renders {'/'.join(self.resolutions)} only"
        allowed = self.resolution_durations.get(resolution, self.durations)
        if duration_s not in allowed:
            listed = "/".join(str(d) for d in allowed)
            return f"{self.name} accepts {listed} s at {resolution}"
        return None


class ModelDefinition(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    label: str
    provider: str = Field(description="who makes the model, shown on the card")
    family: str = Field(pattern=r"^[a-z0-9_]+$", description="ledger source suffix")
    description: str = ""
    badge: str | None = None
    quality_tag: str
    aspect_ratios: tuple[str, ...] = ("9:16", "16:9", "1:1")
    audio: bool
    image_input: ImageInput = ImageInput.REQUIRED
    end_frame: bool = False
    takes_seed: bool = False
    takes_negative_prompt: bool = False
    estimated_render_s: int = Field(gt=0)
    routes: tuple[Route, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_route_names(self) -> ModelDefinition:
        names = [r.name for r in self.routes]
        if len(names) != len(set(names)):
            raise ValueError(f"model {self.id}: duplicate route names {names}")
        return self

    def route(self, name: str) -> Route:
        for r in self.routes:
            if r.name == name:
                return r
        raise KeyError(f"model {self.id} has no route {name!r}")


class Rounding(StrEnum):
    NEAREST = "nearest"  # half up
    UP = "up"
    DOWN = "down"


class PerSecondRule(_Strict):
    """credits = per-second rate x duration x resolution multiplier + adders, then rounded.

    The rate is either given in credits (`rate`, optionally by resolution) or derived from the
    primary route's provider cost as cost x `markup`, converted at the book's credit value.
    """

    kind: Literal["per_second"]
    rate: PositiveDecimal | dict[str, PositiveDecimal] | None = None
    markup: PositiveDecimal | None = None
    resolution_multipliers: dict[str, PositiveDecimal] = Field(default_factory=dict)
    audio_adder_per_second: Decimal = Decimal(0)
    option_adders: dict[str, Decimal] = Field(
        default_factory=dict, description="flat credits added when an option is switched on"
    )
    rounding: Rounding = Rounding.NEAREST
    round_to: int = Field(default=1, gt=0)

    @model_validator(mode="after")
    def _rate_xor_markup(self) -> PerSecondRule:
        if (self.rate is None) == (self.markup is None):
            raise ValueError("a per_second rule needs exactly one of 'rate' and 'markup'")
        return self


class TableRule(_Strict):
    """Credits looked up by duration (seconds) and resolution."""

    kind: Literal["table"]
    table: dict[int, dict[str, Annotated[int, Field(gt=0)]]] = Field(min_length=1)


class FlatRule(_Strict):
    kind: Literal["flat"]
    credits: int = Field(gt=0)


PriceRule = Annotated[PerSecondRule | TableRule | FlatRule, Field(discriminator="kind")]


class Offering(_Strict):
    """One model as a price book sells it."""

    model: str
    durations: tuple[int, ...] = Field(min_length=1)
    resolutions: tuple[str, ...] = Field(min_length=1)
    default_resolution: str
    price: PriceRule
    routes: tuple[str, ...] | None = Field(
        default=None, description="route names in priority order; default: the catalogue's order"
    )
    cost_usd_per_second: dict[str, dict[str, PositiveDecimal]] = Field(
        default_factory=dict,
        description="per-route provider cost overrides: route -> resolution -> USD/s",
    )
    badge: str | None = None

    @model_validator(mode="after")
    def _default_resolution_offered(self) -> Offering:
        if self.default_resolution not in self.resolutions:
            raise ValueError(
                f"{self.model}: default resolution {self.default_resolution} is not offered"
            )
        return self


class PriceBook(_Strict):
    id: str = Field(pattern=r"^[a-z0-9\-]+$")
    version: str
    title: str
    source: str = ""
    credit_value_usd: PositiveDecimal
    default_model: str
    default_duration: int
    offerings: tuple[Offering, ...] = Field(min_length=1)

    @field_validator("offerings")
    @classmethod
    def _unique_models(cls, offerings: tuple[Offering, ...]) -> tuple[Offering, ...]:
        ids = [o.model for o in offerings]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate offerings: {ids}")
        return offerings

    @model_validator(mode="after")
    def _default_model_offered(self) -> PriceBook:
        if self.default_model not in {o.model for o in self.offerings}:
            raise ValueError(f"default model {self.default_model} is not offered")
        return self

    def offering(self, model_id: str) -> Offering:
        for o in self.offerings:
            if o.model == model_id:
                return o
        raise KeyError(model_id)

    @property
    def durations(self) -> tuple[int, ...]:
        return tuple(sorted({d for o in self.offerings for d in o.durations}))


class CatalogueFile(_Strict):
    version: str
    models: tuple[ModelDefinition, ...] = Field(min_length=1)
